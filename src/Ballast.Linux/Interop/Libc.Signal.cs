using System.Runtime.InteropServices;

namespace Ballast.Linux.Interop;

// signal.h
internal static unsafe partial class Libc
{
    public const int SIGKILL = 9;
    public const int SIGTERM = 15;

    [LibraryImport(LibC, SetLastError = true)]
    public static partial int kill(int pid, int sig);
}
