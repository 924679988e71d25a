"""The support desk: complaints, questions and suggestions, their service levels and reports."""
