"""claims: Warranty claims to the manufacturer and insurance claims."""
