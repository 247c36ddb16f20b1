using Ballast.GuestLab;

namespace Ballast.Cli.Tests;

public class GuestBuildPlanTests
{
    private const string ColdOutput = """
        PLAN_PACKAGES=linux-source-6.1 bc debootstrap
        PLAN_QEMU=debootstrap --variant=minbase trixie into a chroot, then qemu-system-x86 from trixie-backports (apt in the chroot)
        PLAN_BUILD=kernel module initrd qemu
        """;

    [Fact]
    public void Parse_ReadsThePackagesBuildsAndQemuSetup()
    {
        var plan = GuestBuildPlan.Parse(ColdOutput);

        Assert.Equal(["linux-source-6.1", "bc", "debootstrap"], plan.Packages);
        Assert.Equal(["kernel", "module", "initrd", "qemu"], plan.Builds);
        Assert.StartsWith("debootstrap --variant=minbase trixie", plan.QemuSetup, StringComparison.Ordinal);
        Assert.False(plan.IsEmpty);
    }

    [Fact]
    public void Describe_ColdCache_SaysPackagesKernelTimeAndTheChroot()
    {
        var text = GuestBuildPlan.Parse(ColdOutput).Describe();

        Assert.Contains("installs Debian packages linux-source-6.1 bc debootstrap", text, StringComparison.Ordinal);
        Assert.Contains("the guest kernel (linux-source-6.1; 5-9 minutes on 2 cores)", text, StringComparison.Ordinal);
        Assert.Contains("the initramfs", text, StringComparison.Ordinal);
        Assert.Contains("sets up the QEMU chroot: debootstrap --variant=minbase trixie", text, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', text);
    }

    [Fact]
    public void Parse_WarmCache_IsEmpty()
    {
        var plan = GuestBuildPlan.Parse("PLAN_PACKAGES=\nPLAN_QEMU=x\nPLAN_BUILD=\n");

        Assert.True(plan.IsEmpty);
        Assert.Equal("nothing to install or build", plan.Describe());
    }

    [Fact]
    public void Parse_MissingLine_Throws() =>
        Assert.Throws<FormatException>(() => GuestBuildPlan.Parse("PLAN_PACKAGES=\nPLAN_QEMU=x\n"));

    [Fact]
    public async Task PlanAsync_RunsTheRealEnsureScriptAndParsesIt()
    {
        // ensure.sh --plan reads dpkg and the cache only: safe here, and the list is the script's own.
        var plan = await GuestEnvironment.PlanAsync();

        Assert.Contains("qemu-system-x86", plan.QemuSetup, StringComparison.Ordinal);
        Assert.All(plan.Builds, build => Assert.Contains(build, new[] { "kernel", "module", "initrd", "qemu" }));
    }
}
