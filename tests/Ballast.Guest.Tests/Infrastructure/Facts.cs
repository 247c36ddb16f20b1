using Ballast.GuestLab;

namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>Reading the guest's serial facts the tests compare against (guest/README.md "Serial line format").</summary>
public static class Facts
{
    /// <summary>The negotiated feature bits of a <c>virtio</c> fact: <c>features=</c> is 64 characters, character i is bit i.</summary>
    public static ulong FeatureBits(SerialEvent virtio)
    {
        ArgumentNullException.ThrowIfNull(virtio);
        var text = virtio["features"] ?? throw new FormatException($"no features= in {virtio}");
        if (text.Length != 64 || text.Any(c => c is not ('0' or '1')))
            throw new FormatException($"features= is not 64 bits in {virtio}");
        ulong bits = 0;
        for (var i = 0; i < 64; i++)
        {
            if (text[i] == '1')
                bits |= 1UL << i;
        }
        return bits;
    }

    /// <summary>The bit numbers set in <paramref name="bits"/>, for messages.</summary>
    public static string BitList(ulong bits) =>
        "{" + string.Join(",", Enumerable.Range(0, 64).Where(i => (bits & (1UL << i)) != 0)) + "}";

    /// <summary><c>MemFree</c> of a <c>meminfo</c> fact, kB.</summary>
    public static long MemFreeKb(SerialEvent meminfo) => meminfo.Int64("MemFree");
}
