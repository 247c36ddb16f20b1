namespace Ballast.Simulation.Tests.Experiment;

/// <summary>
/// Tests that change the host's huge-page settings (vm.nr_hugepages, THP shmem_enabled) run alone: while
/// shmem_enabled is 'advise', a vhost-user back-end takes every memfd it is handed for THP memory, which would change
/// what the 4 KiB tests of this assembly see.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HugePageCollection
{
    public const string Name = "huge pages";
}
