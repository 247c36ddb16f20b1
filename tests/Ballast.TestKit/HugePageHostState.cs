using Ballast.Linux;

namespace Ballast.TestKit;

/// <summary>
/// The host's huge-page settings at rest: <c>vm.nr_hugepages</c> and THP's <c>shmem_enabled</c>, read while holding
/// the lock every <see cref="HugePageReservation"/> takes (root only), so another process's reservation — a test suite
/// or a guest-bench running beside — is never caught half-way and read as the host's own setting.
/// </summary>
internal readonly record struct HugePageHostState(string NrHugePages, string ShmemEnabled)
{
    public static HugePageHostState Read()
    {
        using var quiet = HugePageReservation.Acquire(0);
        return new HugePageHostState(File.ReadAllText(HugePageReservation.NrHugePagesPath).Trim(), HugePageSettings.ShmemThpMode());
    }
}
