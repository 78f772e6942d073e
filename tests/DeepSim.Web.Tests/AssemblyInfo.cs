// Two browser collections each start a whole platform (the Stripe one its own): one at a time, as on the AppHost tests'
// machine kind, where an AppHost started beside another's orchestrator was seen to hang.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
