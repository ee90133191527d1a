"""Database: engine and sessions, typed models, the encrypted column type, migrations."""
