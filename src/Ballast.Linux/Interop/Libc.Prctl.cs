using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// sys/prctl.h
internal static unsafe partial class Libc
{
    /// <summary>prctl: the signal this process gets when its parent thread dies (prctl(2)).</summary>
    public const int PR_SET_PDEATHSIG = 1;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int prctl(int option, nuint arg2, nuint arg3, nuint arg4, nuint arg5);

    [LibraryImport(LibC)]
    public static partial int getppid();
}
