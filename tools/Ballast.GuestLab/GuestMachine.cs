namespace Ballast.GuestLab;

/// <summary>The QEMU machine a <see cref="QemuGuest"/> runs on, and so the balloon's virtio transport.</summary>
public enum GuestMachine
{
    /// <summary>
    /// <c>microvm</c> without ACPI: virtio-mmio (modern, <c>virtio-mmio.force-legacy=false</c>), the device found through
    /// the <c>virtio_mmio.device=</c> word QEMU appends to the kernel command line; the kernel boots directly (PVH).
    /// </summary>
    Microvm,

    /// <summary>
    /// <c>q35</c>: virtio-PCI on the PCIe root bus, booted through SeaBIOS (<c>-kernel</c>/<c>-initrd</c> via its linuxboot
    /// option ROM). The guest kernel, built without ACPI, finds PCI through configuration mechanism #1 and routes INTx
    /// through SeaBIOS's MP table (guest/kernel/ballast.config).
    /// </summary>
    Q35,
}
