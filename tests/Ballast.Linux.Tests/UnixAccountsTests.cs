
namespace Ballast.Linux.Tests;

/// <summary><see cref="UnixAccounts"/>: names through NSS (getpwnam_r/getgrnam_r), numbers as they are.</summary>
public class UnixAccountsTests
{
    [Fact]
    public void Users_ByNameAndNumber_MatchTheDatabase()
    {
        Assert.Equal(0u, UnixAccounts.UserId("root", out _));
        Assert.Equal(0u, UnixAccounts.UserId("0", out _));
        Assert.Equal(4242u, UnixAccounts.UserId("4242", out _)); // a number needs no entry, as with chown(1)
        foreach (var (name, id) in Entries("/etc/passwd"))
            Assert.Equal(id, UnixAccounts.UserId(name, out _));
    }

    [Fact]
    public void Groups_ByNameAndNumber_MatchTheDatabase()
    {
        Assert.Equal(0u, UnixAccounts.GroupId("root", out _));
        Assert.Equal(36u, UnixAccounts.GroupId("36", out _));
        foreach (var (name, id) in Entries("/etc/group"))
            Assert.Equal(id, UnixAccounts.GroupId(name, out _));
    }

    [Theory]
    [InlineData("no-such-user-ballast", "no user 'no-such-user-ballast'")]
    [InlineData("4294967295", "is not a valid id")]
    [InlineData("99999999999", "is not a valid id")]
    [InlineData("", "needs a name or a number")]
    public void BadUser_SaysWhy(string user, string message)
    {
        Assert.Null(UnixAccounts.UserId(user, out var error));
        Assert.Contains(message, error, StringComparison.Ordinal);
    }

    [Fact]
    public void UnknownGroup_SaysWhy()
    {
        Assert.Null(UnixAccounts.GroupId("no-such-group-ballast", out var error));
        Assert.Equal("no group 'no-such-group-ballast'", error);
    }

    /// <summary>name → id (third field) of the local database file: what NSS's "files" source answers.</summary>
    private static IEnumerable<(string Name, uint Id)> Entries(string file) =>
        File.ReadLines(file)
            .Select(line => line.Split(':'))
            .Where(f => f.Length > 2 && uint.TryParse(f[2], out _))
            .Select(f => (f[0], uint.Parse(f[2], System.Globalization.CultureInfo.InvariantCulture)));
}
