"""A reference agency system for Mazad's agencies API: a starting point for a bank or a
traffic department's IT (docs/agencies.md). httpx and the standard library only."""
