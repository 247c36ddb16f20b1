namespace Ballast.VhostUser.Session;

/// <summary>
/// Somewhere outside this process that keeps a session's file descriptors while it lives: the supervisor of
/// <c>ballast serve</c>, or systemd's file-descriptor store (sd_notify <c>FDSTORE=1</c>, <c>FDNAME=</c>,
/// <c>FDSTOREREMOVE=1</c>). A process that parses front-end and guest input may die at any instant; while a copy of
/// the connection is kept elsewhere, QEMU never sees it close, and a new process resumes with the copies
/// (<see cref="ResumeSet"/>).
/// </summary>
/// <remarks>
/// A descriptor counts as kept once <see cref="Keep"/> returns: it is then in flight to, or held by, the keeper,
/// and a SIGKILL of this process cannot lose it. Names are short ASCII words (<see cref="SessionNames"/>).
/// </remarks>
public interface IDescriptorStore
{
    /// <summary>Keeps a copy of <paramref name="fd"/> under <paramref name="name"/>, replacing (and closing) what was kept under it.</summary>
    void Keep(string name, int fd);

    /// <summary>Closes the copy kept under <paramref name="name"/>, if any.</summary>
    void Drop(string name);
}
