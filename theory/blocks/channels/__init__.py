"""Channels (energetic terms), one per file."""
