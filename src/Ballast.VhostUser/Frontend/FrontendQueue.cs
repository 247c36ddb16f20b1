using Ballast.Linux;
using Ballast.Virtio.Queue;

namespace Ballast.VhostUser.Frontend;

/// <summary>A queue the driver set up, as the frontend relays it at DRIVER_OK.</summary>
internal sealed record FrontendQueue(int Index, int Size, RingAddresses Addresses, EventFd Kick, EventFd Call);
