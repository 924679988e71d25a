"""Enforcement's workspace pages: files, assets, imports, letters to agencies and requests."""
