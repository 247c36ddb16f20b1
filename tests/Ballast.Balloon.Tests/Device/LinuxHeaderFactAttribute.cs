using Ballast.TestKit;
namespace Ballast.Balloon.Tests.Device;

/// <summary>A fact that compiles C against linux/virtio_balloon.h: skipped when gcc or the header is missing.</summary>
public sealed class LinuxHeaderFactAttribute : FactAttribute
{
    public LinuxHeaderFactAttribute()
    {
        if (!CProgram.Available("/usr/include/linux/virtio_balloon.h"))
            Skip = "gcc or /usr/include/linux/virtio_balloon.h not found";
    }
}
