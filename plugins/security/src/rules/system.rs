//! The machine: processes and power, the security controls and their
//! records, and what starts at login, at boot or on a timer.

use super::{has_flag, has_long, operands};
use crate::Verdict;

/// Services that are security controls or keep the record.
const GUARDS: &[&str] = &[
    "auditd",
    "apparmor",
    "firewalld",
    "ufw",
    "iptables",
    "ip6tables",
    "nftables",
    "selinux",
    "fail2ban",
    "rsyslog",
    "syslog",
    "syslog-ng",
    "systemd-journald",
    "journald",
    "osqueryd",
    "falcon-sensor",
    "clamav-daemon",
    "clamd",
    "wazuh-agent",
    "ossec",
    "crowdstrike",
    "sshguard",
    "aide",
    "tripwire",
    "sentinelone",
    "elastic-agent",
    "filebeat",
    "auditbeat",
    "sysmon",
    "td-agent",
    "fluentd",
    "fluent-bit",
    "datadog-agent",
    "newrelic-infra",
    "amazon-cloudwatch-agent",
    "google-cloud-ops-agent",
];

fn is_guard(unit: &str) -> bool {
    let u = unit.trim_end_matches(".service").trim_end_matches(".socket");
    GUARDS.contains(&u)
}

pub fn judge(name: &str, args: &[String]) -> Verdict {
    let first = args.first().map(String::as_str).unwrap_or_default();
    match name {
        "kill" | "pkill" | "killall" => {
            // The pid `-1` is every process; a first `-1` followed by pids
            // is the signal SIGHUP (`kill -1 4242`).
            if name == "kill" && kill_pids(args).any(|a| a == "-1") {
                return Verdict::Block("`kill -1` kills every process".into());
            }
            if operands(args).iter().any(|a| is_guard(a)) {
                return Verdict::Block("kills a security or logging service".into());
            }
            if name != "kill" && operands(args).iter().any(|a| matches!(a.as_str(), "init" | "systemd" | "sshd" | "launchd")) {
                return Verdict::Block("kills a process the machine cannot run without".into());
            }
            Verdict::Allow
        }
        "killall5" => Verdict::Block("`killall5` kills every process".into()),
        "shutdown" | "reboot" | "halt" | "poweroff" => Verdict::Block(format!("`{name}` stops the machine")),
        "init" | "telinit" if first == "0" || first == "6" => Verdict::Block(format!("`{name} {first}` stops the machine")),
        "systemctl" => systemctl(args),
        "service" if args.len() >= 2 && is_guard(&args[0]) && matches!(args[1].as_str(), "stop" | "disable" | "mask") => {
            Verdict::Block(format!("stops `{}`, a security or logging service", args[0]))
        }
        "launchctl" => match first {
            "load" | "bootstrap" | "submit" | "enable" => Verdict::Ask(format!("`launchctl {first}` starts a job at login or boot")),
            "unload" | "bootout" | "disable" if args.iter().any(|a| a.contains("syslog") || a.contains("auditd")) => {
                Verdict::Block("stops a logging service".into())
            }
            _ => Verdict::Allow,
        },
        "update-rc.d" | "chkconfig" | "rc-update" if !args.iter().any(|a| a == "--list") && !args.is_empty() => {
            Verdict::Ask(format!("`{name}` changes what starts at boot"))
        }
        "setenforce" if matches!(first, "0" | "Permissive" | "permissive") => Verdict::Block("`setenforce 0` switches SELinux off".into()),
        "aa-teardown" | "aa-disable" | "aa-complain" => Verdict::Block(format!("`{name}` switches AppArmor protection off")),
        "ufw" if matches!(first, "disable" | "reset") || args.iter().any(|a| a == "--force") && first == "reset" => {
            Verdict::Block(format!("`ufw {first}` switches the firewall off"))
        }
        "ufw" if first == "default" && args.iter().any(|a| a == "allow") => Verdict::Block("`ufw default allow` opens the firewall".into()),
        "iptables" | "ip6tables" | "iptables-legacy" | "iptables-nft" => {
            if has_flag(args, 'F', &["--flush"]) || has_flag(args, 'X', &["--delete-chain"]) {
                return Verdict::Block(format!("`{name} -F` removes every firewall rule"));
            }
            if args.windows(2).any(|w| (w[0] == "-P" || w[0] == "--policy") && w.len() == 2) && args.iter().any(|a| a == "ACCEPT") {
                return Verdict::Block(format!("`{name} -P ... ACCEPT` opens the firewall"));
            }
            Verdict::Allow
        }
        "nft" if matches!(first, "flush") || args.windows(2).any(|w| w[0] == "delete" && w[1] == "table") => {
            Verdict::Block("`nft flush` removes every firewall rule".into())
        }
        "firewall-cmd" if args.iter().any(|a| a == "--panic-off" || a.starts_with("--set-default-zone=trusted")) => {
            Verdict::Block("opens the firewall".into())
        }
        "pfctl" if has_flag(args, 'd', &[]) || args.windows(2).any(|w| w[0] == "-F" && w[1] == "all") => {
            Verdict::Block("`pfctl -d` switches the firewall off".into())
        }
        "csrutil" if first == "disable" => Verdict::Block("`csrutil disable` switches System Integrity Protection off".into()),
        "spctl" if args.iter().any(|a| a == "--master-disable" || a == "--global-disable") => {
            Verdict::Block("`spctl --master-disable` lets any app run".into())
        }
        "auditctl" if has_flag(args, 'D', &[]) || args.windows(2).any(|w| w[0] == "-e" && w[1] == "0") => {
            Verdict::Block("`auditctl` switches the audit off".into())
        }
        "journalctl" if args.iter().any(|a| a.starts_with("--vacuum")) => {
            Verdict::Block("`journalctl --vacuum` deletes the system's logs".into())
        }
        "logrotate" if has_flag(args, 'f', &["--force"]) => Verdict::Ask("`logrotate -f` rotates the logs away now".into()),
        "history" if has_flag(args, 'c', &[]) || has_flag(args, 'w', &[]) && args.iter().any(|a| a == "/dev/null") => {
            Verdict::Ask("clears the shell history".into())
        }
        "unset" if args.iter().any(|a| matches!(a.as_str(), "HISTFILE" | "HISTSIZE" | "HISTFILESIZE")) => {
            Verdict::Ask("stops the shell keeping its history".into())
        }
        "export" | "declare" | "typeset" | "set" => {
            if args.iter().any(|a| matches!(a.as_str(), "HISTFILE=/dev/null" | "HISTSIZE=0" | "HISTFILESIZE=0" | "HISTFILE="))
                || name == "set" && args.windows(2).any(|w| w[0] == "+o" && w[1] == "history")
            {
                return Verdict::Ask("stops the shell keeping its history".into());
            }
            if args.iter().any(|a| a.starts_with("LD_PRELOAD=") || a.starts_with("PROMPT_COMMAND=")) {
                return Verdict::Ask("sets a hook that runs code in every later command".into());
            }
            Verdict::Allow
        }
        "crontab" => {
            if has_flag(args, 'r', &[]) {
                return Verdict::Block("`crontab -r` deletes every cron job".into());
            }
            if has_flag(args, 'l', &[]) && operands(args).is_empty() {
                return Verdict::Allow;
            }
            Verdict::Ask("`crontab` installs jobs that run on a timer".into())
        }
        // `at -l` lists and `at -r` removes; anything else schedules.
        "at" | "batch" if name == "batch" || !(has_flag(args, 'l', &[]) || has_flag(args, 'r', &[]) || has_flag(args, 'd', &[])) => {
            Verdict::Ask(format!("`{name}` runs commands later, out of sight"))
        }
        "useradd" | "adduser" | "usermod" | "userdel" | "deluser" | "passwd" | "chpasswd" | "visudo" | "groupadd" | "gpasswd" | "chsh"
        | "dscl" | "sysadminctl" => Verdict::Ask(format!("`{name}` changes the machine's accounts")),
        "ssh-keygen" if has_flag(args, 'R', &[]) => Verdict::Allow,
        "ssh-copy-id" => Verdict::Ask("`ssh-copy-id` adds a key to another machine's `authorized_keys`".into()),
        "sysctl" if has_flag(args, 'w', &["--write"]) || args.iter().any(|a| a.contains('=')) => {
            Verdict::Ask("`sysctl -w` changes the kernel's settings".into())
        }
        "insmod" | "rmmod" | "modprobe" if !args.iter().any(|a| a == "-n" || a == "--dry-run") => {
            Verdict::Ask(format!("`{name}` changes the running kernel"))
        }
        "mount" | "umount" if operands(args).iter().any(|a| a.as_str() == "/" || a.as_str() == "/boot") => {
            Verdict::Ask(format!("`{name}` on a system mount"))
        }
        "swapoff" if has_flag(args, 'a', &["--all"]) => Verdict::Ask("`swapoff -a`".into()),
        "perl" | "ruby" | "python" | "python3"
            if args.iter().any(|a| a.contains("fork while fork") || a.contains("while 1: os.fork()") || a.contains("loop { fork }")) =>
        {
            Verdict::Block("a fork bomb".into())
        }
        _ => Verdict::Allow,
    }
}

fn systemctl(args: &[String]) -> Verdict {
    let words: Vec<&str> = args.iter().map(String::as_str).filter(|a| !a.starts_with('-')).collect();
    let Some(verb) = words.first() else { return Verdict::Allow };
    if matches!(*verb, "poweroff" | "reboot" | "halt" | "kexec" | "emergency" | "rescue" | "suspend" | "hibernate") {
        return Verdict::Block(format!("`systemctl {verb}` stops the machine"));
    }
    if matches!(*verb, "isolate") {
        return Verdict::Ask("`systemctl isolate` stops every unit not in the target".into());
    }
    let units = &words[1..];
    if matches!(*verb, "stop" | "disable" | "mask" | "kill") && units.iter().any(|u| is_guard(u)) {
        return Verdict::Block(format!("`systemctl {verb}` stops a security or logging service"));
    }
    if matches!(*verb, "enable" | "link" | "preset" | "add-wants" | "edit" | "set-property") {
        let scope = if has_long(args, "--user") { "at login" } else { "at boot" };
        return Verdict::Ask(format!("`systemctl {verb}` makes a unit start {scope}"));
    }
    if matches!(*verb, "stop" | "disable" | "mask")
        && units.iter().any(|u| {
            matches!(
                u.trim_end_matches(".service"),
                "sshd" | "ssh" | "systemd-logind" | "dbus" | "NetworkManager" | "networking" | "systemd-networkd"
            )
        })
    {
        return Verdict::Ask(format!("`systemctl {verb}` stops a service the machine's access depends on"));
    }
    Verdict::Allow
}

/// The pids of `kill ARGS`: what follows the signal (`-9`, `-KILL`,
/// `-s KILL`, `-n 9`) and any `--`. A lone `-1` (or `-9 -1`) is a pid.
fn kill_pids(args: &[String]) -> impl Iterator<Item = &String> {
    let mut i = 0;
    match args.first().map(String::as_str) {
        Some("-s" | "-n") => i = 2,
        Some("--") => i = 1,
        Some(a) if a.starts_with('-') && a.len() > 1 && args.len() > 1 => i = 1,
        _ => {}
    }
    if args.get(i).is_some_and(|a| a == "--") {
        i += 1;
    }
    args.iter().skip(i)
}
