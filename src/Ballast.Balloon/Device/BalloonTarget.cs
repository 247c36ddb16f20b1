using Ballast.Virtio.Memory;
using Ballast.Virtio.Units;

namespace Ballast.Balloon.Device;

/// <summary>
/// The rules a balloon target in bytes must follow before it becomes <c>num_pages</c> (VIRTIO 1.2 §5.5.4: a 32-bit
/// count of 4 KiB pages the device wants the driver to give up): not negative, a whole number of pages, no more than
/// the guest's RAM, and a page count that fits the field. Each check returns the sentence an operator reads, or null.
/// </summary>
public static class BalloonTarget
{
    /// <summary>What a target may be on its own: not negative and a whole number of 4 KiB pages.</summary>
    public static string? CheckBytes(long targetBytes)
    {
        if (targetBytes < 0)
            return $"target_bytes must not be negative (got {targetBytes})";
        if ((ulong)targetBytes % GuestPage.Size != 0)
            return $"target_bytes must be a multiple of 4096 (the balloon counts 4 KiB pages); got {targetBytes}";
        return null;
    }

    /// <summary>
    /// What a target (already through <see cref="CheckBytes"/>) may be for a guest of <paramref name="guestRamBytes"/>:
    /// no more than its RAM, and a page count <c>num_pages</c> can hold.
    /// </summary>
    public static string? CheckFits(long targetBytes, ulong guestRamBytes)
    {
        if ((ulong)targetBytes > guestRamBytes)
            return $"target_bytes {targetBytes} ({SizeFormatter.Format(targetBytes)}) is more than the guest's RAM of {guestRamBytes} bytes ({SizeFormatter.Format((long)guestRamBytes)})";
        if (Pages(targetBytes) > uint.MaxValue)
            return $"target_bytes {targetBytes} is more than the balloon can say: num_pages is a 32-bit count of 4 KiB pages (at most {(ulong)uint.MaxValue * GuestPage.Size})";
        return null;
    }

    /// <summary>The number of 4 KiB pages in <paramref name="targetBytes"/> (a value through both checks).</summary>
    public static ulong Pages(long targetBytes) => (ulong)targetBytes / GuestPage.Size;
}
