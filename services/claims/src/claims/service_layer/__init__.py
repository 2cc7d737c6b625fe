"""One handler per command, `async def name(uow: UnitOfWork, cmd: Command) -> Aggregate`:
load through a repository, call the domain, save (the events go to the outbox)."""
