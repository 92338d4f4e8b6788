"""zhidu's core: definitions, the runtime facade over SpiffWorkflow, forms, the sandbox,
the journal and the storage ports. Pure Python: no Flask, no SQLAlchemy."""
