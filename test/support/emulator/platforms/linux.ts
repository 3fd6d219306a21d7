/**
 * A Debian 12 host's bash: `admin@linux-host:~$ ` (`#` as root), `sudo -s` asking `[sudo] password for admin: `
 * (three tries), a handful of commands with their real output shapes (`uname -a`, `ip address show`, `id`, …), files
 * that only root may write, and `-bash: x: command not found`. No pager.
 */
import type { DeviceBase, EmulatedPlatform, Shell, ShellIO } from '../platform.js';

interface LinuxDevice extends DeviceBase {
  files: Map<string, string>;
  addresses: Array<{ iface: string; cidr: string }>;
}

function ipAddressShow(d: LinuxDevice): string[] {
  const out = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 65536 qdisc noqueue state UNKNOWN group default qlen 1000',
    '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
    '    inet 127.0.0.1/8 scope host lo',
    '       valid_lft forever preferred_lft forever',
    '    inet6 ::1/128 scope host noprefixroute',
    '       valid_lft forever preferred_lft forever',
    '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc fq_codel state UP group default qlen 1000',
    '    link/ether 52:54:00:12:34:56 brd ff:ff:ff:ff:ff:ff',
    '    altname enp0s3',
  ];
  for (const a of d.addresses.filter((x) => x.iface === 'eth0')) {
    out.push(`    inet ${a.cidr} brd 192.168.122.255 scope global eth0`, '       valid_lft forever preferred_lft forever');
  }
  out.push('    inet6 fe80::5054:ff:fe12:3456/64 scope link', '       valid_lft forever preferred_lft forever');
  return out;
}

class BashShell implements Shell {
  private root = false;
  private cwd: string;

  constructor(
    private readonly d: LinuxDevice,
    private readonly io: ShellIO,
    private readonly home: string,
  ) {
    this.cwd = home;
  }

  private get user(): string {
    return this.root ? 'root' : this.io.username;
  }

  prompt(): string {
    const dir = !this.root && this.cwd === this.home ? '~' : this.cwd.startsWith(`${this.home}/`) && !this.root ? `~${this.cwd.slice(this.home.length)}` : this.cwd;
    return `${this.user}@${this.d.hostname}:${dir}${this.root ? '#' : '$'} `;
  }

  interrupt(): boolean {
    return false;
  }

  run(line: string): string[] {
    // `cmd > file`: the one redirection the emulator knows.
    const redirect = /^(.*?)\s*>\s*(\S+)$/.exec(line);
    const cmdLine = redirect ? (redirect[1] as string) : line;
    const words = cmdLine.split(/\s+/).filter(Boolean);
    const [cmd, ...args] = words as [string, ...string[]];
    let out: string[];
    switch (cmd) {
      case 'uname':
        out = [args.includes('-a') ? `Linux ${this.d.hostname} 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64 GNU/Linux` : 'Linux'];
        break;
      case 'hostname':
        if (args[0]) {
          if (!this.root) return ['hostname: you must be root to change the host name'];
          this.d.hostname = args[0];
          return [];
        }
        out = [this.d.hostname];
        break;
      case 'whoami':
        out = [this.user];
        break;
      case 'id':
        out = [this.root ? 'uid=0(root) gid=0(root) groups=0(root)' : `uid=1000(${this.io.username}) gid=1000(${this.io.username}) groups=1000(${this.io.username}),27(sudo)`];
        break;
      case 'pwd':
        out = [this.cwd];
        break;
      case 'echo':
        out = [cmdLine.slice(cmdLine.indexOf('echo') + 5).replace(/^(['"])(.*)\1$/, '$2')];
        break;
      case 'cd': {
        const to = !args[0] || args[0] === '~' ? (this.root ? '/root' : this.home) : args[0].startsWith('/') ? args[0] : `${this.cwd.replace(/\/$/, '')}/${args[0]}`;
        if (!['/', '/tmp', '/etc', '/root', this.home].includes(to)) return [`-bash: cd: ${args[0]}: No such file or directory`];
        this.cwd = to;
        return [];
      }
      case 'cat': {
        const f = args[0] ?? '';
        const text = this.d.files.get(f);
        if (text === undefined) return [`cat: ${f}: No such file or directory`];
        out = text.split('\n');
        break;
      }
      case 'ip':
        if (/^a(d(d(r(e(ss?)?)?)?)?)?$/.test(args[0] ?? '') && (args[1] === undefined || /^s(h(ow?)?)?$/.test(args[1]))) out = ipAddressShow(this.d);
        else return ['Object "' + (args[0] ?? '') + '" is unknown, try "ip help".'];
        break;
      case 'sudo':
        if (args[0] !== '-s') return ['usage: sudo -s'];
        if (this.root) return [];
        this.askSudo(1);
        return [];
      case 'exit':
      case 'logout':
        if (this.root) {
          this.root = false;
          this.cwd = this.home;
          return ['exit'];
        }
        this.io.close();
        return ['logout'];
      default:
        return [`-bash: ${cmd}: command not found`];
    }
    if (redirect) {
      const file = redirect[2] as string;
      if (!this.root && file.startsWith('/etc/')) return [`-bash: ${file}: Permission denied`];
      this.d.files.set(file, out.join('\n'));
      if (this.root) this.d.saves++;
      return [];
    }
    return out;
  }

  /** sudo's password question; a wrong answer is asked again (`Sorry, try again.`), three times in all. */
  private askSudo(attempt: number, before = ''): void {
    this.io.askHidden(`${before}[sudo] password for ${this.io.username}: `, (answer) => {
      if (answer === this.io.enableSecret) {
        this.root = true;
        return [];
      }
      if (attempt < 3) {
        this.askSudo(attempt + 1, 'Sorry, try again.\r\n');
        return [];
      }
      return [`sudo: ${attempt} incorrect password attempts`];
    });
  }
}

export const linux: EmulatedPlatform<LinuxDevice> = {
  name: 'linux',
  sshIdent: 'SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u2',
  pager: { marker: '', erase: '' },
  defaultPageLength: 0,
  telnetPrompts: { username: 'login: ', password: 'Password: ', refused: 'Login incorrect' },
  greeting: 'Linux linux-host 6.1.0-18-amd64 #1 SMP PREEMPT_DYNAMIC Debian 6.1.76-1 (2024-02-01) x86_64\n\nThe programs included with the Debian GNU/Linux system are free software.',
  createDevice: (opts) => {
    const d: LinuxDevice = {
      hostname: opts.hostname ?? 'linux-host',
      saves: 0,
      files: new Map([
        ['/etc/hostname', opts.hostname ?? 'linux-host'],
        ['/etc/os-release', 'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nNAME="Debian GNU/Linux"\nVERSION_ID="12"\nID=debian'],
      ]),
      addresses: [{ iface: 'eth0', cidr: '192.168.122.10/24' }],
      runningConfig: () => [...d.files.entries()].map(([f, t]) => `${f}:\n${t}`).join('\n'),
    };
    return d;
  },
  openShell: (device, io) => new BashShell(device, io, `/home/${io.username}`),
};
