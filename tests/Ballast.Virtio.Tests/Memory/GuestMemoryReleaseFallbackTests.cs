using Ballast.Linux;
using Ballast.Virtio.Memory;
using Ballast.Virtio.Tests.Support;
using Xunit.Abstractions;
using static Ballast.Virtio.Tests.Support.TestLayouts;

namespace Ballast.Virtio.Tests.Memory;

/// <summary>
/// <see cref="ReleaseMethod"/> fallback: a region on a file whose file system refuses fallocate(PUNCH_HOLE)
/// with EOPNOTSUPP switches to <see cref="ReleaseMethod.MadviseRemove"/>.
/// </summary>
/// <remarks>
/// On Linux ≥ 3.5 MADV_REMOVE is itself implemented with vfs_fallocate(PUNCH_HOLE), so where punch-hole is
/// refused it fails the same way: the test accepts that outcome as long as the error names madvise.
/// </remarks>
public sealed class GuestMemoryReleaseFallbackTests(ITestOutputHelper output)
{
    [NoPunchHoleFsFact]
    public void Release_SwitchesToMadviseRemoveWhenPunchHoleIsNotSupported()
    {
        var path = Path.Combine(NoPunchHoleFsFactAttribute.Directory!, $"ballast-fallback-{Guid.NewGuid():N}");
        try
        {
            using var file = File.OpenHandle(path, FileMode.CreateNew, FileAccess.ReadWrite);
            RandomAccess.SetLength(file, (long)(16 * Page));
            using var memory = GuestMemory.FromRegions([new RegionSpec((int)file.DangerousGetHandle(), 0, 1 * MiB, 16 * Page, OwnsFd: false)]);
            GuestMemoryReleaseTests.FillPages(memory, 1 * MiB, 16);

            for (var attempt = 0; attempt < 2; attempt++)
            {
                var error = Record.Exception(() => GuestMemoryReleaseTests.ReleaseRange(memory, 1 * MiB + 4 * Page, 4 * Page));

                Assert.Equal(ReleaseMethod.MadviseRemove, memory.Regions[0].ReleaseMethod);
                output.WriteLine($"attempt {attempt}: {error?.Message ?? "released"}");
                if (error is not null)
                    Assert.Equal("madvise", Assert.IsType<SyscallException>(error).Call);
                else
                    GuestMemoryReleaseTests.AssertPages(memory, 1 * MiB, 16, released: i => i is >= 4 and < 8);
            }
        }
        finally
        {
            File.Delete(path);
        }
    }
}
