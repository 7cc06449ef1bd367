"""The efficiency report (效能评估): figures, charts and the HTML page."""
