"""workshop: Dispatch, repair, the three quality checks, operation codes and capacity."""
