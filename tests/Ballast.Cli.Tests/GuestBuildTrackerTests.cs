using Ballast.Cli.Output;
using Ballast.GuestLab;

namespace Ballast.Cli.Tests;

public class GuestBuildTrackerTests
{
    [Fact]
    public void Observe_ColdBuild_CountsEachStepByItsWeight()
    {
        var plan = new GuestBuildPlan(["bc"], ["kernel", "module", "initrd", "qemu"], "debootstrap …");
        var seen = new List<(double Fraction, string Text)>();
        var tracker = new GuestBuildTracker(plan, (fraction, text) => seen.Add((fraction, text)));

        tracker.Observe("[14:00:00 ensure.sh] installing bc");
        tracker.Observe("[14:00:09 ensure.sh] kernel 0123456789abcdef: building");
        tracker.Observe("  CC      mm/page_alloc.o");
        tracker.Observe("[14:06:00 ensure.sh] kernel 0123456789abcdef: built in 351 s");
        tracker.Observe("[14:06:01 ensure.sh] module 0123456789abcdef: built in 5 s");
        tracker.Observe("[14:06:09 ensure.sh] initrd 0123456789abcdef: cached");
        tracker.Observe("[14:06:10 setup-qemu.sh] debootstrap --variant=minbase trixie /x http://mirror");
        tracker.Observe("[14:07:00 setup-qemu.sh] installing qemu-system-x86 from trixie-backports");
        tracker.Observe("[14:08:00 ensure.sh] ready in 480000 ms");

        Assert.Equal([0, 0.10, 0.80, 0.83, 0.88, 0.88, 0.94, 1.0], seen.Select(s => Math.Round(s.Fraction, 9)));
        Assert.Equal("first-run build: building the guest kernel", seen[1].Text);
        Assert.Equal("first-run build: QEMU chroot: installing QEMU", seen[6].Text);
    }

    [Fact]
    public void Observe_OnlyTheChroot_GoesFromHalfToAll()
    {
        var tracker = new GuestBuildTracker(new GuestBuildPlan([], ["qemu"], "d"), (_, _) => { });
        tracker.Observe("[14:07:00 ensure.sh] kernel 0123456789abcdef: cached");
        Assert.Equal(0, tracker.Fraction);
        tracker.Observe("[14:07:00 setup-qemu.sh] installing qemu-system-x86 from trixie-backports");
        Assert.Equal(0.5, tracker.Fraction);
        tracker.Observe("[14:08:00 ensure.sh] ready in 80000 ms");
        Assert.Equal(1, tracker.Fraction);
    }
}
