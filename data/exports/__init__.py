"""A plan for other systems and people: JSON, CSV, XLSX, ICS, QR, and push."""
