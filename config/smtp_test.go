package config

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestSMTPKeywords(t *testing.T) {
	sync := "vrrp_sync_group G {\ngroup {\nVI_1\n}\n%s\n}\n"
	tests := []struct {
		name  string
		src   string
		check func(c *Config) bool
	}{
		{"notification_email block", "global_defs {\nnotification_email {\na@example.com b@example.com\nc@example.com\n}\n}\n",
			func(c *Config) bool {
				return slices.Equal(c.Global.NotificationEmail, []string{"a@example.com", "b@example.com", "c@example.com"})
			}},
		{"notification_email twice appends", "global_defs {\nnotification_email {\na@example.com\n}\nnotification_email {\nb@example.com\n}\n}\n",
			func(c *Config) bool {
				return slices.Equal(c.Global.NotificationEmail, []string{"a@example.com", "b@example.com"})
			}},
		{"notification_email_from", "global_defs {\nnotification_email_from ops@example.com\n}\n",
			func(c *Config) bool { return c.Global.NotificationEmailFrom == "ops@example.com" }},
		{"smtp_server default port", "global_defs {\nsmtp_server 192.0.2.25\n}\n",
			func(c *Config) bool { return c.Global.SMTPServer == "192.0.2.25:25" }},
		{"smtp_server port", "global_defs {\nsmtp_server 192.0.2.25 2525\n}\n",
			func(c *Config) bool { return c.Global.SMTPServer == "192.0.2.25:2525" }},
		{"smtp_server IPv6", "global_defs {\nsmtp_server 2001:db8::25 587\n}\n",
			func(c *Config) bool { return c.Global.SMTPServer == "[2001:db8::25]:587" }},
		{"smtp_server name", "global_defs {\nsmtp_server mail.example.com\n}\n",
			func(c *Config) bool { return c.Global.SMTPServer == "mail.example.com:25" }},
		{"smtp_helo_name", "global_defs {\nsmtp_helo_name lb1.example.com\n}\n",
			func(c *Config) bool { return c.Global.SMTPHeloName == "lb1.example.com" }},
		{"smtp_connect_timeout", "global_defs {\nsmtp_connect_timeout 7\n}\n",
			func(c *Config) bool { return c.Global.SMTPConnectTimeout == 7*time.Second }},
		{"smtp_connect_timeout 0 is 1", "global_defs {\nsmtp_connect_timeout 0\n}\n",
			func(c *Config) bool { return c.Global.SMTPConnectTimeout == time.Second }},
		{"smtp_alert bare", "global_defs {\nsmtp_alert\n}\n",
			func(c *Config) bool { return c.Global.SMTPAlert != nil && *c.Global.SMTPAlert }},
		{"smtp_alert_vrrp off", "global_defs {\nsmtp_alert_vrrp off\n}\n",
			func(c *Config) bool { return c.Global.SMTPAlertVRRP != nil && !*c.Global.SMTPAlertVRRP }},
		{"no_email_faults", "global_defs {\nno_email_faults\n}\n",
			func(c *Config) bool { return c.Global.NoEmailFaults }},
		{"instance off by default", inst(""), func(c *Config) bool { return !c.Instances[0].SMTPAlert }},
		{"instance smtp_alert", inst("smtp_alert"), func(c *Config) bool { return c.Instances[0].SMTPAlert }},
		{"instance from global smtp_alert", "global_defs {\nsmtp_alert\n}\n" + inst(""),
			func(c *Config) bool { return c.Instances[0].SMTPAlert }},
		{"smtp_alert_vrrp before smtp_alert", "global_defs {\nsmtp_alert\nsmtp_alert_vrrp false\n}\n" + inst(""),
			func(c *Config) bool { return !c.Instances[0].SMTPAlert }},
		{"instance overrides global", "global_defs {\nsmtp_alert_vrrp\n}\n" + inst("smtp_alert no"),
			func(c *Config) bool { return !c.Instances[0].SMTPAlert }},
		{"global_defs after the instance", inst("") + "global_defs {\nsmtp_alert_vrrp\n}\n",
			func(c *Config) bool { return c.Instances[0].SMTPAlert }},
		{"sync group smtp_alert", inst("") + strings.Replace(sync, "%s", "smtp_alert", 1),
			func(c *Config) bool { return c.SyncGroups[0].SMTPAlert && !c.Instances[0].SMTPAlert }},
		{"sync group from global", "global_defs {\nsmtp_alert\n}\n" + inst("") + strings.Replace(sync, "%s", "", 1),
			func(c *Config) bool { return c.SyncGroups[0].SMTPAlert }},
		{"sync group off over global", "global_defs {\nsmtp_alert\n}\n" + inst("") + strings.Replace(sync, "%s", "smtp_alert off", 1),
			func(c *Config) bool { return !c.SyncGroups[0].SMTPAlert }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, diags := parse(t, tc.src)
			for _, d := range diags {
				if strings.Contains(d.Msg, "email") || strings.Contains(d.Msg, "smtp") {
					if !strings.Contains(d.Msg, "setting to 1") {
						t.Errorf("unexpected diagnostic %v", d)
					}
				}
			}
			if !tc.check(c) {
				t.Fatalf("wrong result: %+v", c.Global)
			}
			// The canonical text parses back to the same config.
			back, _ := ParseBytes("/cfg/back.conf", []byte(Format(c)), testOpts)
			if !back.Equal(c) {
				t.Fatalf("Format does not round-trip:\n%s", Format(c))
			}
		})
	}
}

func TestSMTPKeywordErrors(t *testing.T) {
	tests := []struct {
		name     string
		src      string
		severity Severity
		want     string
	}{
		{"smtp_server no address", "global_defs {\nsmtp_server\n}\n", Error, "smtp_server takes"},
		{"smtp_server too many", "global_defs {\nsmtp_server 192.0.2.1 25 x\n}\n", Error, "smtp_server takes"},
		{"smtp_server bad port", "global_defs {\nsmtp_server 192.0.2.1 smtp25\n}\n", Error, "invalid smtp server 192.0.2.1 smtp25"},
		{"smtp_server port range", "global_defs {\nsmtp_server 192.0.2.1 70000\n}\n", Error, "the port is not in 1..65535"},
		{"smtp_server slash", "global_defs {\nsmtp_server 192.0.2.0/24\n}\n", Error, "invalid smtp server"},
		{"smtp_server bad IPv6", "global_defs {\nsmtp_server 2001:db8::zz\n}\n", Error, "invalid smtp server"},
		{"smtp_connect_timeout word", "global_defs {\nsmtp_connect_timeout soon\n}\n", Error, `"soon" is not an integer`},
		{"smtp_connect_timeout 0", "global_defs {\nsmtp_connect_timeout 0\n}\n", Warning, "setting to 1"},
		{"smtp_alert bad", "global_defs {\nsmtp_alert maybe\n}\n", Error, `smtp_alert: "maybe" is not a boolean`},
		{"smtp_alert_vrrp bad", "global_defs {\nsmtp_alert_vrrp 2\n}\n", Error, `smtp_alert_vrrp: "2" is not a boolean`},
		{"instance smtp_alert bad", inst("smtp_alert sometimes"), Error, `"sometimes" is not a boolean`},
		{"sync group smtp_alert bad", inst("") + "vrrp_sync_group G {\ngroup {\nVI_1\n}\nsmtp_alert x\n}\n", Error, `"x" is not a boolean`},
		{"notification_email empty", "global_defs {\nnotification_email {\n}\n}\n", Warning, "the block is empty"},
		{"notification_email no block", "global_defs {\nnotification_email a@example.com\n}\n", Error, "notification_email"},
		{"no_email_faults argument", "global_defs {\nno_email_faults yes\n}\n", Error, "no_email_faults takes"},
		{"smtp_alert_checker", "global_defs {\nsmtp_alert_checker\n}\n", Warning, "no email alerts are sent for real servers or virtual servers"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, diags := parse(t, tc.src)
			for _, d := range diags {
				if strings.Contains(d.Msg, tc.want) {
					if d.Severity != tc.severity {
						t.Fatalf("%q: severity %v, want %v", d.Msg, d.Severity, tc.severity)
					}
					return
				}
			}
			t.Fatalf("no diagnostic contains %q; got:\n%v", tc.want, diags)
		})
	}
}

// TestGlobalSMTPAlertWithVirtualServers: keepalived would also mail real
// and virtual server changes; havip says it does not.
func TestGlobalSMTPAlertWithVirtualServers(t *testing.T) {
	vs := "virtual_server 192.0.2.100 80 {\n protocol TCP\n real_server 192.0.2.2 80 {\n  TCP_CHECK {\n  }\n }\n}\n"
	for _, tc := range []struct {
		globals string
		warned  bool
	}{
		{"smtp_alert", true},
		{"smtp_alert off", false},
		{"smtp_alert_vrrp", false},
	} {
		_, diags := parse(t, "global_defs {\n "+tc.globals+"\n}\n"+vs)
		if got := hasDiag(diags, "havip does not send those alerts"); got != tc.warned {
			t.Errorf("%s: warned %v, want %v:\n%v", tc.globals, got, tc.warned, diags)
		}
	}
}
