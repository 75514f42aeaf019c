"""What a run shows: summary JSON, Markdown, HTML, terminal, figures, files."""
