"""The Textual faces of hangconsole (the only package that imports textual)."""
