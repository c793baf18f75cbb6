"""Where ignite reads and writes, the tools it runs and the environment it obeys: the one
place a distribution (or a test) changes them, as Ignition's internal/distro does.

Three kinds of names:
- paths: the initramfs defaults of `ignite run` (each also a command line option), the
  system config dirs, files in the target root, and device and firmware paths;
- tools: the logical name of every external program and its default executable;
- knobs (`*_ENV`): environment variables, read through `env()`. Those named IGNITION_*
  are upstream's own; IGNITE_* are ignite's, mostly stand-ins for what tests cannot have
  (a metadata service, a firmware interface) and always pointing at something local.

Plain constants and `os` only: every boot stage, the no-op ones included, imports this.
"""
from __future__ import annotations

import os

# --- the initramfs defaults of `ignite run` -------------------------------------------
ROOT = "/sysroot"  # --root: the target root the stages write into
CONFIG_CACHE = "/run/ignition.json"  # --config-cache: the rendered config (mode 0600)
STATE_FILE = "/run/ignition/state"  # --state-file: what the stages share (docs/spec/stages.md#state)
NEEDNET_FILE = "/run/ignition/neednet"  # --neednet: fetch-offline's "the config needs network"
# Beside the state file: IDLE_DIR/STAGE, the fetch stage's "STAGE has nothing to do" (the
# units of kargs, disks and mount are skipped on it: /run/ignition/idle/STAGE).
IDLE_DIR = "idle"
CMDLINE_FILE = "/proc/cmdline"  # --cmdline: the kernel command line
FETCH_TIMEOUT = 120.0  # --fetch-timeout: seconds to wait for the user config

# --- system config dirs: highest priority first, each (knob, default) -------------------
SYSTEM_DIRS = (
    ("IGNITION_SYSTEM_RUNTIME_CONFIG_DIR", "/run/ignition"),
    ("IGNITION_SYSTEM_LOCAL_CONFIG_DIR", "/etc/ignition"),
    ("IGNITION_SYSTEM_CONFIG_DIR", "/usr/lib/ignition"),
)
BASE_DIR = "base.d"  # base configs under every user config, in each system dir
BASE_PLATFORM_DIR = "base.platform.d"  # base.platform.d/PLATFORM/: the same, per platform
USER_CONFIG = "user.ign"  # a user config found in a system dir

# --- in the target root ---------------------------------------------------------------
RESULT_FILE = "/etc/.ignition-result.json"  # upstream's report, read by other tools
IGNITE_REPORT = "/etc/ignite/report.json"  # ignite's own, fuller report
UNITS_DIR = "/etc/systemd/system"
PRESET_FILE = "/etc/systemd/system-preset/20-ignition.preset"
LUKS_KEY_DIR = "/etc/luks"  # key files of LUKS volumes that persist their keys
USERADD_DEFAULTS = "/etc/default/useradd"  # HOME=: where useradd puts homes (default /home)
DEFAULT_HOME_BASE = "/home"
# What shadow-utils' useradd, groupadd and chpasswd may create or replace besides homes:
# the account files (with their backups "-", locks ".lock" and temporaries "+"), the mail
# spools and the login records. Paths that start with one of these.
ACCOUNT_TOOL_PATHS = (
    "/etc/passwd", "/etc/shadow", "/etc/group", "/etc/gshadow", "/etc/subuid", "/etc/subgid",
    "/etc/.pwd.lock", "/var/mail", "/var/spool/mail", "/var/log/lastlog", "/var/log/faillog",
    "/var/log/tallylog",
)
# What they read in the target, which they chroot to: their settings, the skeleton copied
# into new homes, NSS and the libraries and helpers (nscd, sss_cache) run there, SELinux's
# policy, the time zone of their log lines. Paths that start with one of these, as above.
ACCOUNT_TOOL_INPUTS = (
    "/etc/login.defs", USERADD_DEFAULTS, "/etc/skel", "/etc/nsswitch.conf", "/etc/selinux", "/etc/ld.so",
    "/etc/localtime", "/etc/pam.d", "/etc/security", "/etc/libaudit.conf", "/usr", "/lib", "/bin", "/sbin",
)

# --- on the machine -------------------------------------------------------------------
BOOT_ID = "/proc/sys/kernel/random/boot_id"
MOUNTINFO = "/proc/self/mountinfo"  # the target's mounts, for its own writeback (syncfs)
OEM_DEVICE = "/dev/disk/by-label/OEM"  # oem:// sources
BY_LABEL_DIR = "/dev/disk/by-label"
UDEV_CONTROL = "/run/udev/control"  # present when udevd runs
UDEV_QUEUE = "/run/udev/queue"  # present while udevd has events queued (the coldplug under way)
DMI_DIR = "/sys/class/dmi/id"  # vmware's platform check; ${uuid} and ${serial} in URLs
SYS_NET = "/sys/class/net"  # ${mac} in URLs: the NICs
ROUTE_V4 = "/proc/net/route"  # ${mac}: the NIC with the default route
ROUTE_V6 = "/proc/net/ipv6_route"
HOSTNAME_FILE = "/proc/sys/kernel/hostname"  # ${hostname} in URLs
NETIF_LEASES = "/run/systemd/netif/leases"  # cloudstack finds its metadata server here
HYPERV_KVP_DIR = "/run/ignite/hyperv-kvp"  # the KVP pairs read from /dev/vmbus/hv_kvp, for later stages
HYPERV_KVP_DEVICE = "/dev/vmbus/hv_kvp"  # Hyper-V's KVP channel (ignite is the client)
QEMU_FW_CFG = "/sys/firmware/qemu_fw_cfg"
MEDIA_UMOUNT_ATTEMPTS = 3  # a config drive or local medium briefly busy after a read (as upstream)
SCRATCH_DIR = "/tmp"  # where mount points and scratch files go (TMPDIR instead, as tempfile's)
SCRATCH_DIR_ENV = "TMPDIR"
# The initramfs's first-boot set-up (ignite.stages.fetch_setup), run by fetch-offline:
STATE_DIR = "/run/ignite"  # ignite's own state at boot (the generator makes it)
STAMP_FS = "stamp-fs"  # in STATE_DIR: "UUID LABEL" of the filesystem holding the first-boot stamp
STAMP_MISSING = "stamp-missing"  # in STATE_DIR: the labels a stamp that must be found was looked for on
OEM_LABEL = "OEM"  # the OEM partition's filesystem label
BOOT_LABEL = "boot"  # the boot filesystem's label (coreos-installer puts ignition/config.ign there)
OEM_DEVICE_FILE = "/etc/ignite/oem-device"  # in the initramfs: the image's OEM device, waited for by name
INITRAMFS_OEM_DIR = "/usr/share/oem"  # a PXE initramfs's OEM tree, as Flatcar reads it
LIVE_CONFIG = "/config.ign"  # a live image's embedded config, in the initramfs
SYS_BLOCK = "/sys/class/block"  # the block devices the kernel knows
UDEV_DATA = "/run/udev/data"  # udev's database: b<major>:<minor> per block device
QEMU_BLOCK_DEVICE = "/dev/disk/by-id/virtio-ignition"
BLUEFIELD_BOOTFIFO = "/sys/bus/platform/devices/MLNXBF04:00/bootfifo"

# --- knobs ----------------------------------------------------------------------------
# Kernel argument: the files stage also deletes the OEM partition's config.ign and the boot
# filesystem's ignition/ after a successful first boot (ignite.providers.local_config).
DELETE_LOCAL_CONFIG_FLAG = "ignite.delete_local_config"
# A file the fetch stage waits for (its unit sets it) after loading its code and before it
# reads any config: the network's up flag. The interpreter starts while DHCP runs.
AFTER_FILE_ENV = "IGNITE_STAGE_AFTER_FILE"
# Seconds: longer than the network's wait (ignite.network.timeout=, 120 s by default); a
# unit that fails stops the waiting stage long before.
AFTER_FILE_TIMEOUT = 900.0
# Set by ignite-fetch-early.service (the kernel command line's config URL needs the
# network): the fetch stage starts alongside fetch-offline, and after loading its code waits
# for fetch-offline's OFFLINE_DONE (beside the state file), then does nothing if
# fetch-offline needed no network after all (a config on disk came first).
FETCH_EARLY_ENV = "IGNITE_FETCH_EARLY"
OFFLINE_DONE = "fetch-offline-done"
CMDLINE_PATH_ENV = "IGNITION_KERNEL_CMDLINE_PATH"  # the kernel command line file
CONFIG_FILE_ENV = "IGNITION_CONFIG_FILE"  # the `file` platform's config (default ./config.ign)
AUTHORIZED_KEYS_FRAGMENT_ENV = "IGNITION_WRITE_AUTHORIZED_KEYS_FRAGMENT"  # "false": one authorized_keys
DEVICE_TIMEOUT_ENV = "IGNITE_DEVICE_TIMEOUT"  # seconds to wait for a device node (default 90)
TOOL_ENV_PREFIX = "IGNITE_TOOL_"  # + NAME (upper case, - and . as _): that tool's executable
ENDPOINT_ENV_PREFIX = "IGNITE_ENDPOINT_"  # + PLATFORM: base URL of its metadata service
S3_ENDPOINT_ENV = "IGNITE_S3_ENDPOINT"  # an S3 API (path-style) instead of AWS's
GS_ENDPOINT_ENV = "IGNITE_GS_ENDPOINT"  # a GCS JSON API instead of Google's
BY_LABEL_ENV = "IGNITE_DISK_BY_LABEL"  # instead of BY_LABEL_DIR: a folder of symlinks
DMI_DIR_ENV = "IGNITE_DMI_DIR"  # instead of DMI_DIR
NETIF_LEASES_ENV = "IGNITE_NETIF_LEASES"  # instead of NETIF_LEASES
AZURE_MEDIA_ENV = "IGNITE_AZURE_MEDIA"  # the devices Azure's provider may read, colon-separated
HYPERV_KVP_DIR_ENV = "IGNITE_HYPERV_KVP_DIR"  # instead of HYPERV_KVP_DIR
HYPERV_KVP_DEVICE_ENV = "IGNITE_HYPERV_KVP_DEVICE"  # instead of HYPERV_KVP_DEVICE
QEMU_FW_CFG_ENV = "IGNITE_QEMU_FW_CFG"  # instead of QEMU_FW_CFG: a folder of the same shape
UDEV_QUEUE_ENV = "IGNITE_UDEV_QUEUE"  # instead of UDEV_QUEUE (the first-boot set-up reads it too)
# "1" (ignite-fetch-offline.service sets it): fetch-offline first does the initramfs's
# first-boot set-up (ignite.stages.fetch_setup), then reads configs.
BOOT_SETUP_ENV = "IGNITE_BOOT_SETUP"
FIRSTBOOT_STAMP_ENV = "IGNITE_FIRSTBOOT_STAMP"  # the generator's: ignition, flatcar or "" (kind of stamp)
STATE_DIR_ENV = "IGNITE_STATE_DIR"  # instead of STATE_DIR
OEM_LABEL_ENV = "IGNITE_OEM_LABEL"  # instead of OEM_LABEL
BOOT_LABEL_ENV = "IGNITE_BOOT_LABEL"  # instead of "boot", where the local configs are deleted
OEM_DEVICE_FILE_ENV = "IGNITE_OEM_DEVICE_FILE"  # instead of OEM_DEVICE_FILE
INITRAMFS_OEM_DIR_ENV = "IGNITE_INITRAMFS_OEM_DIR"  # instead of INITRAMFS_OEM_DIR
LIVE_CONFIG_ENV = "IGNITE_LIVE_CONFIG"  # instead of LIVE_CONFIG
DEV_DIR_ENV = "IGNITE_DEV_DIR"  # instead of /dev, for the set-up's device nodes (tests)
SYS_BLOCK_ENV = "IGNITE_SYS_BLOCK"  # instead of SYS_BLOCK
UDEV_DATA_ENV = "IGNITE_UDEV_DATA"  # instead of UDEV_DATA
QEMU_BLOCK_DEVICE_ENV = "IGNITE_QEMU_BLOCK_DEVICE"  # instead of QEMU_BLOCK_DEVICE
BLUEFIELD_BOOTFIFO_ENV = "IGNITE_BLUEFIELD_BOOTFIFO"  # instead of BLUEFIELD_BOOTFIFO


def env(knob: str, default: str = "") -> str:
    """The knob's value; `default` when it is unset or empty. The one reader of the
    `*_ENV` knobs whose empty value means "not set"; a provider's stand-in knobs, whose
    mere presence matters, are read by the provider (ignite/providers)."""
    return os.environ.get(knob) or default


# --- tools: logical name -> executable (each overridable with TOOL_ENV_PREFIX + NAME) ---
TOOLS: dict[str, str] = {
    "blkid": "blkid",
    "blockdev": "blockdev",
    "chroot": "chroot",
    "clevis": "clevis",
    "cryptsetup": "cryptsetup",
    "groupadd": "groupadd",
    "groupdel": "groupdel",
    "groupmod": "groupmod",
    "is-live-image": "is-live-image",
    # the distribution hook that persists kernelArguments (dracut/30ignite ships one)
    "kargs-helper": "ignite-kargs-helper",
    "losetup": "losetup",
    "mdadm": "mdadm",
    "mkfs.btrfs": "mkfs.btrfs",
    "mkfs.ext4": "mkfs.ext4",
    "mkfs.vfat": "mkfs.vfat",
    "mkfs.xfs": "mkfs.xfs",
    "mkswap": "mkswap",
    "mount": "mount",
    "partx": "partx",
    "setfiles": "setfiles",
    "sgdisk": "sgdisk",
    "systemctl": "systemctl",
    "udevadm": "udevadm",
    "umount": "umount",
    "useradd": "useradd",
    "userdel": "userdel",
    "usermod": "usermod",
    "wipefs": "wipefs",
    # config channels of some platforms (ignite/providers)
    "modprobe": "modprobe",
    "vmware-rpctool": "vmware-rpctool",
    "VBoxControl": "VBoxControl",
    "vmur": "vmur",
    "chccwdev": "chccwdev",
    "cio_ignore": "cio_ignore",
}
