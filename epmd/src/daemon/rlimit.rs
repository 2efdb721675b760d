//! Raises the open-file limit at start so that connections scale with the host, not with a
//! default soft limit: soft and hard up to `fs.nr_open` when permitted, else soft up to hard.

/// Raises RLIMIT_NOFILE as far as allowed; returns the resulting soft limit.
pub fn raise_nofile_limit() -> u64 {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: plain syscalls on a local struct.
    unsafe {
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) != 0 {
            return 1024;
        }
        let nr_open = std::fs::read_to_string("/proc/sys/fs/nr_open")
            .ok()
            .and_then(|s| s.trim().parse::<u64>().ok());
        if let Some(max) = nr_open {
            if max > lim.rlim_max {
                let want = libc::rlimit {
                    rlim_cur: max as libc::rlim_t,
                    rlim_max: max as libc::rlim_t,
                };
                if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                    return max;
                }
            }
        }
        if lim.rlim_cur < lim.rlim_max {
            let want = libc::rlimit {
                rlim_cur: lim.rlim_max,
                rlim_max: lim.rlim_max,
            };
            if libc::setrlimit(libc::RLIMIT_NOFILE, &want) == 0 {
                return lim.rlim_max;
            }
        }
        lim.rlim_cur
    }
}
