"""parts's business rules: aggregates (shared.kit.Aggregate), policies, calculations.

No FastAPI, SQL or Kafka here. Name each rule as the business names it.
"""
