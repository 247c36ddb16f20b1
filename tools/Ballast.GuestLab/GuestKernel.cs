namespace Ballast.GuestLab;

/// <summary>Which Linux kernel a <see cref="QemuGuest"/> boots (with the initramfs built for it).</summary>
public enum GuestKernel
{
    /// <summary>Ballast's own 6.1 build from Debian's linux-source-6.1 (guest/kernel/ballast.config); virtio built in.</summary>
    Ballast,

    /// <summary>
    /// Debian's prebuilt kernel (the image <c>linux-image-amd64</c> depends on; guest/debian-kernel.sh), whose virtio core,
    /// virtio_pci and virtio_balloon are modules: the initramfs loads them first (<c>BALLAST preload</c>). For q35 only
    /// (its virtio_mmio module gets no command-line devices).
    /// </summary>
    Debian,
}
