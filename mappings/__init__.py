"""Translations between wire formats: Fast's, and one module per shop platform."""
