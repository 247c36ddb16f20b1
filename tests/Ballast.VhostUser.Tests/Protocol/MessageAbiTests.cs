using Ballast.TestKit;
using Ballast.VhostUser.Protocol;

namespace Ballast.VhostUser.Tests.Protocol;

/// <summary>
/// The vhost-user message layouts we read and write by offset, compared with what gcc makes of the same structs:
/// struct vhost_vring_state and struct vhost_vring_addr from linux/vhost_types.h (the ioctl structs vhost-user
/// reuses), and the vhost-user.rst message, written down from the spec's tables (packed, as VhostUserMsg is).
/// <see cref="MessageLayoutTests"/> pins the same numbers without a compiler.
/// </summary>
public sealed class MessageAbiTests
{
    private const string Source = """
        #include <stddef.h>
        #include <stdint.h>
        #include <stdio.h>
        #include <linux/vhost_types.h>

        /* vhost-user.rst "Message Specification", as tables in the spec. */
        typedef struct { uint32_t request, flags, size; } __attribute__((packed)) header_t;
        typedef struct { uint64_t guest_addr, size, user_addr, mmap_offset; } region_t;
        typedef struct { uint32_t nregions, padding; region_t regions[8]; } memory_t;
        typedef struct { uint64_t padding; region_t region; } single_region_t;
        typedef struct { uint32_t offset, size, flags; uint8_t payload[256]; } config_t;
        typedef struct {
            header_t hdr;
            union {
                uint64_t u64;
                struct vhost_vring_state state;
                struct vhost_vring_addr addr;
                memory_t memory;
                single_region_t single;
                config_t config;
            } payload;
        } __attribute__((packed)) msg_t;

        #define P(name, v) printf("%s %lu\n", name, (unsigned long)(v))

        int main(void)
        {
            P("header", sizeof(header_t));
            P("header.request", offsetof(header_t, request));
            P("header.flags", offsetof(header_t, flags));
            P("header.size", offsetof(header_t, size));
            P("msg.payload", offsetof(msg_t, payload));
            P("payload", sizeof(((msg_t *)0)->payload));
            P("state", sizeof(struct vhost_vring_state));
            P("state.index", offsetof(struct vhost_vring_state, index));
            P("state.num", offsetof(struct vhost_vring_state, num));
            P("addr", sizeof(struct vhost_vring_addr));
            P("addr.index", offsetof(struct vhost_vring_addr, index));
            P("addr.flags", offsetof(struct vhost_vring_addr, flags));
            P("addr.desc", offsetof(struct vhost_vring_addr, desc_user_addr));
            P("addr.used", offsetof(struct vhost_vring_addr, used_user_addr));
            P("addr.avail", offsetof(struct vhost_vring_addr, avail_user_addr));
            P("addr.log", offsetof(struct vhost_vring_addr, log_guest_addr));
            P("addr.F_LOG", 1u << VHOST_VRING_F_LOG);
            P("region", sizeof(region_t));
            P("region.guest", offsetof(region_t, guest_addr));
            P("region.size", offsetof(region_t, size));
            P("region.user", offsetof(region_t, user_addr));
            P("region.offset", offsetof(region_t, mmap_offset));
            P("kregion", sizeof(struct vhost_memory_region));
            P("kregion.guest", offsetof(struct vhost_memory_region, guest_phys_addr));
            P("kregion.size", offsetof(struct vhost_memory_region, memory_size));
            P("kregion.user", offsetof(struct vhost_memory_region, userspace_addr));
            P("memory", sizeof(memory_t));
            P("memory.regions", offsetof(memory_t, regions));
            P("single", sizeof(single_region_t));
            P("single.region", offsetof(single_region_t, region));
            P("config.offset", offsetof(config_t, offset));
            P("config.size", offsetof(config_t, size));
            P("config.flags", offsetof(config_t, flags));
            P("config.payload", offsetof(config_t, payload));
            P("config", sizeof(config_t));
            return 0;
        }
        """;

    private static readonly Lazy<Dictionary<string, ulong>> C = new(() => CProgram.Run(Source));

    private static void Matches(string name, int ours) => Assert.True((ulong)ours == C.Value[name], $"{name}: ours {ours}, gcc {C.Value[name]}");

    [GccFact]
    public void Header_MatchesThePackedCStruct()
    {
        Matches("header", MessageHeader.WireSize);
        Matches("header.request", MessageHeader.RequestOffset);
        Matches("header.flags", MessageHeader.FlagsOffset);
        Matches("header.size", MessageHeader.SizeOffset);
        Matches("msg.payload", MessageHeader.WireSize);
    }

    [GccFact]
    public void MaxPayload_IsTheLargestUnionMember()
    {
        Matches("payload", VhostUserMessage.MaxPayloadSize);
        Matches("config", ConfigSpace.WireSize(ConfigSpace.MaxSize));
    }

    [GccFact]
    public void VringState_MatchesVhostVringState()
    {
        Matches("state", VringState.WireSize);
        Matches("state.index", VringState.IndexOffset);
        Matches("state.num", VringState.NumOffset);
    }

    [GccFact]
    public void VringAddress_MatchesVhostVringAddr()
    {
        Matches("addr", VringAddress.WireSize);
        Matches("addr.index", VringAddress.IndexOffset);
        Matches("addr.flags", VringAddress.FlagsOffset);
        Matches("addr.desc", VringAddress.DescriptorOffset);
        Matches("addr.used", VringAddress.UsedOffset);
        Matches("addr.avail", VringAddress.AvailableOffset);
        Matches("addr.log", VringAddress.LogOffset);
        Matches("addr.F_LOG", (int)VringAddress.FlagLog);
    }

    [GccFact]
    public void MemoryRegions_MatchTheSpecAndTheKernelsVhostMemoryRegion()
    {
        Matches("region", MemoryRegionDescription.WireSize);
        Matches("region.guest", MemoryRegionDescription.GuestPhysAddrOffset);
        Matches("region.size", MemoryRegionDescription.MemorySizeOffset);
        Matches("region.user", MemoryRegionDescription.UserspaceAddrOffset);
        Matches("region.offset", MemoryRegionDescription.MmapOffsetOffset);
        Matches("kregion", MemoryRegionDescription.WireSize);
        Matches("kregion.guest", MemoryRegionDescription.GuestPhysAddrOffset);
        Matches("kregion.size", MemoryRegionDescription.MemorySizeOffset);
        Matches("kregion.user", MemoryRegionDescription.UserspaceAddrOffset);
        Matches("memory", MemoryTable.FullSize);
        Matches("memory.regions", MemoryTable.RegionsOffset);
        Matches("single", SingleMemoryRegion.WireSize);
        Matches("single.region", SingleMemoryRegion.RegionOffset);
    }

    [GccFact]
    public void ConfigSpace_MatchesTheSpecTable()
    {
        Matches("config.offset", ConfigSpace.OffsetOffset);
        Matches("config.size", ConfigSpace.SizeOffset);
        Matches("config.flags", ConfigSpace.FlagsOffset);
        Matches("config.payload", ConfigSpace.PayloadOffset);
        Matches("config", ConfigSpace.WireSize(ConfigSpace.MaxSize));
    }
}
