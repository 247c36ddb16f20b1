namespace Ballast.Virtio;

/// <summary>What one bounded pass over a queue (<see cref="IVirtioDevice.ProcessQueue"/>) left behind.</summary>
public enum QueueProgress
{
    /// <summary>The ring is empty and notifications are enabled again: wait for the next kick.</summary>
    Idle,

    /// <summary>
    /// The pass used up its budget with buffers still available; notifications stay off, so no kick will come:
    /// the caller must call again (after attending to anything else that waits, such as front-end messages).
    /// </summary>
    MoreAvailable,

    /// <summary>The ring cannot be trusted any more; the device needs reset (VIRTIO 1.2 §2.1.2).</summary>
    Broken,
}
