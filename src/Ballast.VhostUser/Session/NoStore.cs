namespace Ballast.VhostUser.Session;

/// <summary>A store that keeps nothing: a session served without one ends with its process.</summary>
internal sealed class NoStore : IDescriptorStore
{
    public static NoStore Instance { get; } = new();

    public void Keep(string name, int fd)
    {
    }

    public void Drop(string name)
    {
    }
}
