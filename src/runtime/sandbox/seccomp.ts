/**
 * A seccomp deny-list for sandboxed environments, as a classic BPF program that bubblewrap installs
 * (`--seccomp FD`) just before the runtime starts. It denies, with EPERM, what an unprivileged function
 * never needs and what kernel exploits like to reach: mounting, namespaces (unshare, setns, clone with
 * namespace flags), keyrings, bpf, perf_event_open, userfaultfd, io_uring, kernel modules, kexec,
 * open_by_handle_at, swap, reboot, acct and terminal injection (ioctl TIOCSTI). clone3 answers ENOSYS so
 * the C library falls back to clone, whose flags can be checked. A foreign architecture (x86's x32 or
 * i386 entry points) is killed outright.
 */

/** sock_filter opcodes (linux/bpf_common.h). */
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const JSET_K = 0x45;
const RET_K = 0x06;

const RET_KILL_PROCESS = 0x80000000;
const RET_ALLOW = 0x7fff0000;
const retErrno = (errno: number) => 0x00050000 | errno;
const EPERM = 1;
const ENOSYS = 38;

/** struct seccomp_data offsets: nr, arch, then args[] after the 8-byte instruction pointer (low words on little-endian). */
const NR = 0;
const ARCH = 4;
const ARG0 = 16;
const ARG1 = 24;

const TIOCSTI = 0x5412;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET */
const CLONE_NAMESPACES = 0x00020000 | 0x02000000 | 0x04000000 | 0x08000000 | 0x10000000 | 0x20000000 | 0x40000000;

interface SyscallTable {
  readonly auditArch: number;
  /** x86-64 also answers the x32 ABI at nr | 0x40000000. */
  readonly x32Bit?: number;
  readonly denied: readonly number[];
  readonly ioctl: number;
  readonly clone: number;
  readonly clone3: number;
}

/**
 * Numbers from the kernel's headers (asm/unistd_64.h, asm-generic/unistd.h): mount umount2 pivot_root
 * unshare setns keyctl add_key request_key bpf perf_event_open userfaultfd io_uring_setup/enter/register
 * init_module finit_module delete_module open_by_handle_at kexec_load kexec_file_load swapon swapoff reboot
 * acct, and the new mount API (open_tree move_mount fsopen fsconfig fsmount fspick mount_setattr).
 */
const NEW_MOUNT_API = [428, 429, 430, 431, 432, 433, 442];
const TABLES: Partial<Record<NodeJS.Architecture, SyscallTable>> = {
  x64: {
    auditArch: 0xc000003e,
    x32Bit: 0x40000000,
    denied: [165, 166, 155, 272, 308, 250, 248, 249, 321, 298, 323, 425, 426, 427, 175, 313, 176, 304, 246, 320, 167, 168, 169, 163, ...NEW_MOUNT_API],
    ioctl: 16,
    clone: 56,
    clone3: 435,
  },
  arm64: {
    auditArch: 0xc00000b7,
    denied: [40, 39, 41, 97, 268, 219, 217, 218, 280, 241, 282, 425, 426, 427, 105, 273, 106, 265, 104, 294, 224, 225, 142, 89, ...NEW_MOUNT_API],
    ioctl: 29,
    clone: 220,
    clone3: 435,
  },
};

type Target = 'deny' | 'allow' | 'enosys' | 'ioctl' | 'clone' | 'kill';
interface Instruction {
  readonly code: number;
  readonly k: number;
  readonly jt?: Target;
  readonly jf?: Target;
  readonly label?: Target;
}

/** The compiled program for this machine's architecture, or undefined where we have no syscall table. */
export function seccompProgram(arch: NodeJS.Architecture = process.arch): Buffer | undefined {
  const table = TABLES[arch];
  if (table === undefined) return undefined;
  const program: Instruction[] = [
    { code: LD_W_ABS, k: ARCH },
    { code: JEQ_K, k: table.auditArch, jf: 'kill' },
    { code: LD_W_ABS, k: NR },
    ...(table.x32Bit === undefined ? [] : [{ code: JGE_K, k: table.x32Bit, jt: 'kill' as const }]),
    ...table.denied.map((nr) => ({ code: JEQ_K, k: nr, jt: 'deny' as const })),
    { code: JEQ_K, k: table.ioctl, jt: 'ioctl' },
    { code: JEQ_K, k: table.clone, jt: 'clone' },
    { code: JEQ_K, k: table.clone3, jt: 'enosys', jf: 'allow' },
    { code: LD_W_ABS, k: ARG1, label: 'ioctl' },
    { code: JEQ_K, k: TIOCSTI, jt: 'deny', jf: 'allow' },
    { code: LD_W_ABS, k: ARG0, label: 'clone' },
    { code: JSET_K, k: CLONE_NAMESPACES, jt: 'deny', jf: 'allow' },
    { code: RET_K, k: retErrno(EPERM), label: 'deny' },
    { code: RET_K, k: retErrno(ENOSYS), label: 'enosys' },
    { code: RET_K, k: RET_KILL_PROCESS, label: 'kill' },
    // Last, so every jump to it is forward (classic BPF has no backward jumps).
    { code: RET_K, k: RET_ALLOW, label: 'allow' },
  ];
  const at = new Map<Target, number>();
  program.forEach((instruction, index) => instruction.label && at.set(instruction.label, index));
  // Jumps are forward and relative to the next instruction; an absent target means "fall through".
  const offset = (from: number, target: Target | undefined) => {
    if (target === undefined) return 0;
    const distance = at.get(target)! - from - 1;
    if (distance < 0 || distance > 255) throw new Error(`seccomp jump to ${target} out of range`);
    return distance;
  };
  const buffer = Buffer.alloc(program.length * 8);
  program.forEach((instruction, index) => {
    buffer.writeUInt16LE(instruction.code, index * 8);
    buffer.writeUInt8(offset(index, instruction.jt), index * 8 + 2);
    buffer.writeUInt8(offset(index, instruction.jf), index * 8 + 3);
    buffer.writeUInt32LE(instruction.k >>> 0, index * 8 + 4);
  });
  return buffer;
}
