using Ballast.Tests.Infrastructure;
namespace Ballast.VhostUser.Tests.Support;

/// <summary>A fact that compiles C: skipped when gcc or the Linux uapi headers are missing.</summary>
public sealed class GccFactAttribute : FactAttribute
{
    public GccFactAttribute()
    {
        if (!CProgram.Available("/usr/include/linux/vhost_types.h"))
            Skip = "gcc or /usr/include/linux/vhost_types.h not found";
    }
}
