namespace Ballast.TestKit;

/// <summary>
/// A fact on huge-page guest memory (issue #14): the test reserves what it needs itself (vm.nr_hugepages, THP
/// shmem_enabled, through <c>HugePageReservation</c>), which needs root; CI runs as root, so there it always runs.
/// </summary>
public sealed class HugePageFactAttribute : FactAttribute
{
    public HugePageFactAttribute()
    {
        if (!UnixMode.IsRoot)
            Skip = HugePageTheoryAttribute.NeedsRoot;
    }
}
