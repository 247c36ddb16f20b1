namespace Ballast.Simulation.Tests.Experiment;

/// <summary>
/// Tests that change the host's huge-page settings (vm.nr_hugepages, THP shmem_enabled) run alone, one after another,
/// and not beside this assembly's other tests: the settings are host-wide, and the huge-page counters the tests read
/// (/proc/meminfo) are too.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class HugePageCollection
{
    public const string Name = "huge pages";
}
