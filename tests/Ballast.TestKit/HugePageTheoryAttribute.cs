namespace Ballast.TestKit;

/// <summary>A theory on huge-page guest memory: skipped unless root, as <see cref="HugePageFactAttribute"/>.</summary>
public sealed class HugePageTheoryAttribute : TheoryAttribute
{
    internal const string NeedsRoot = "reserves huge pages (vm.nr_hugepages, THP shmem_enabled) itself, which needs root";

    public HugePageTheoryAttribute()
    {
        if (!UnixMode.IsRoot)
            Skip = NeedsRoot;
    }
}
