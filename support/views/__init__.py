"""Support desk pages: requesters' tickets, the staff queue, the report and settings."""
