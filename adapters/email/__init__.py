"""E-mail adapter: an IMAP mailbox polled (IDLE where offered) in, threaded SMTP replies out."""
