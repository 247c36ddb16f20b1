namespace Ballast.Virtio.Memory;

/// <summary>
/// The one page size: the balloon's unit (VIRTIO 1.2 §5.5.6: "the device … in units of 4096-byte pages", whatever the
/// guest's own page size), the frame a PFN names, and the unit the host releases in.
/// </summary>
public static class GuestPage
{
    /// <summary>log2 of <see cref="Size"/>: a PFN is a guest-physical address shifted right by this.</summary>
    public const int Shift = 12;

    /// <summary>4096 bytes.</summary>
    public const int Size = 1 << Shift;
}
