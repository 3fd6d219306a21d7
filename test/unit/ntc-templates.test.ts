import { describe, expect, it } from 'vitest';
import { expandCompletion, findNtcTemplates, parseNtcIndex, parseWithNtcTemplates, selectNtcTemplates } from '../../src/parsing/ntc-templates.js';

const INDEX = `# comment line, then the header
Template, Hostname, Platform, Command

# a comment inside
cisco_ios_show_ip_interface_brief.textfsm, .*, cisco_ios, sh[[ow]] ip int[[erface]] br[[ief]]
cisco_ios_show_version.textfsm, .*, cisco_ios, sh[[ow]] ver[[sion]]
bad_line_with_a_comma.textfsm, .*, cisco_ios, show a,b
a.textfsm:b.textfsm, .*, (hp|aruba)_procurve, sh[[ow]] mod[[ule]]
huawei_vrp_display_version.textfsm, .*, huawei_vrp, dis[[play]] ver[[sion]]
`;

describe('ntc-templates index', () => {
  it('expands [[…]] completion as clitable does', () => {
    expect(expandCompletion('sh[[ow]] ver[[sion]]')).toBe('sh(o(w)?)? ver(s(i(o(n)?)?)?)?');
  });

  it('reads rows, skips comments and lines with another number of fields', () => {
    const idx = parseNtcIndex(INDEX);
    expect(idx.map((e) => e.templates.join(':'))).toEqual([
      'cisco_ios_show_ip_interface_brief.textfsm',
      'cisco_ios_show_version.textfsm',
      'a.textfsm:b.textfsm',
      'huawei_vrp_display_version.textfsm',
    ]);
    expect(() => parseNtcIndex('Template, Hostname\nx, y\n')).toThrow(/no 'Platform' column/);
  });

  it('matches platform and command at the start, first row wins', () => {
    const idx = parseNtcIndex(INDEX);
    expect(selectNtcTemplates(idx, 'cisco_ios', 'sh ip int br')).toEqual(['cisco_ios_show_ip_interface_brief.textfsm']);
    expect(selectNtcTemplates(idx, 'cisco_ios_telnet', 'show ver | include uptime')).toEqual(['cisco_ios_show_version.textfsm']);
    expect(selectNtcTemplates(idx, 'aruba_procurve', 'sh module')).toEqual(['a.textfsm', 'b.textfsm']);
    expect(selectNtcTemplates(idx, 'cisco_ios', 's ver')).toBeNull();
    expect(selectNtcTemplates(idx, 'cisco_nxos', 'show version')).toBeNull();
  });

  it('uses the index names of netmiko aliases, and IOS templates for XE', () => {
    const idx = parseNtcIndex(INDEX);
    expect(findNtcTemplates(idx, 'huawei', 'display version')).toEqual({ platform: 'huawei_vrp', templates: ['huawei_vrp_display_version.textfsm'] });
    expect(findNtcTemplates(idx, 'cisco_xe', 'show version')).toEqual({ platform: 'cisco_ios', templates: ['cisco_ios_show_version.textfsm'] });
    expect(findNtcTemplates(idx, 'cisco_xe', 'show nothing')).toBeNull();
  });
});

describe('parsing with an index row', () => {
  const first = `Value Key SLOT (\\d+)
Value MODEL (\\S+)

Start
  ^Slot\\s+Model -> Table

Table
  ^Slot\\s+Status -> End
  ^\\s*\${SLOT}\\s+\${MODEL} -> Record
`;
  const second = `Value SLOT (\\d+)
Value STATUS (\\S+)

Start
  ^Slot\\s+Status -> Table

Table
  ^\\s*\${SLOT}\\s+\${STATUS} -> Record
`;
  const text = 'Slot Model\n1 X1\n2 X2\n3 X3\nSlot Status\n2 ok\n1 failed\n';

  // Expected values are Python clitable's (CliTable.ParseCmd with both templates) on the same text.
  it('joins the tables of several templates on the first one’s Key values; keys lower-cased', () => {
    expect(parseWithNtcTemplates([first, second], text)).toEqual([
      { slot: '1', model: 'X1', status: 'failed' },
      { slot: '2', model: 'X2', status: 'ok' },
      { slot: '3', model: 'X3', status: '' },
    ]);
  });

  it('joins by position when the first template has no Key', () => {
    expect(parseWithNtcTemplates([first.replace('Value Key SLOT', 'Value SLOT'), second], text)).toEqual([
      { slot: '1', model: 'X1', status: 'ok' },
      { slot: '2', model: 'X2', status: 'failed' },
      { slot: '3', model: 'X3', status: '' },
    ]);
  });
});
