using System.ComponentModel;
using System.Runtime.InteropServices;

namespace Ballast.Linux;

/// <summary>A failed system call: carries the call's name and errno.</summary>
public sealed class SyscallException : Win32Exception
{
    public SyscallException(string call, int errno)
        : base(errno, $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno})")
    {
        Call = call;
    }

    public SyscallException(string call, int errno, string detail)
        : base(errno, $"{call} failed: {Marshal.GetPInvokeErrorMessage(errno)} (errno {errno}); {detail}")
    {
        Call = call;
    }

    /// <summary>The system call that failed, e.g. "fallocate".</summary>
    public string Call { get; }

    /// <summary>errno as the call left it.</summary>
    public int Errno => NativeErrorCode;

    /// <summary>Throws for the current errno.</summary>
    internal static SyscallException FromLastError(string call) => new(call, Marshal.GetLastPInvokeError());
}
