
namespace Ballast.Guest.Tests.Infrastructure;

/// <summary>Checks of a guest's health that every long-running guest test ends with.</summary>
public static class GuestAssert
{
    /// <summary>Kernel messages that mean the guest kernel went wrong.</summary>
    private static readonly string[] s_kernelTrouble = ["WARNING", "BUG", "Oops", "Call Trace"];

    /// <summary>
    /// No hog found a page of its memory changed (<c>BALLAST hog corrupt</c>: memory the guest still used was released
    /// under it), and the serial log (kernel messages are forwarded into it) has no WARNING, BUG, Oops or Call Trace.
    /// </summary>
    public static void NoKernelTrouble(BallastGuest guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        Assert.Empty(guest.Serial.All("hog corrupt"));
        var log = File.ReadAllText(guest.Qemu.Serial.Path);
        var found = s_kernelTrouble.Where(word => log.Contains(word, StringComparison.Ordinal)).ToList();
        Assert.True(found.Count == 0, $"the serial log has {string.Join(", ", found)}:\n{guest.Serial.Tail(80)}");
    }

    /// <summary>
    /// QEMU printed nothing about its vhost-user back-end (<see cref="Ballast.GuestLab.QemuGuest.VhostUserErrors"/>): every reply paired
    /// with its request, and no kill or take-over was visible to it.
    /// </summary>
    public static void QemuNoticedNothing(BallastGuest guest)
    {
        ArgumentNullException.ThrowIfNull(guest);
        var errors = guest.Qemu.VhostUserErrors();
        Assert.True(errors.Count == 0, $"QEMU printed {errors.Count} vhost-user error line(s):\n{string.Join('\n', errors.Take(10))}");
    }
}
