using Ballast.Tests.Infrastructure;
namespace Ballast.Virtio.Tests.Support;

/// <summary>A fact that compiles C: skipped when gcc or the Linux uapi headers are missing.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!CProgram.Available("/usr/include/linux/virtio_ring.h"))
            Skip = "gcc or /usr/include/linux/virtio_ring.h not found";
    }
}
