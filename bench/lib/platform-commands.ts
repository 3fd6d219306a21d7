/** A show command of moderate size per emulated platform (the ones the Python-netmiko oracle also reads). */
export const PLATFORM_SHOW: Readonly<Record<string, string>> = {
  cisco_ios: 'show ip interface brief',
  hp_comware: 'display interface brief',
  ruijie_os: 'show ip interface brief',
  zte_zxros: 'show interface brief',
  hp_procurve: 'show interfaces brief',
  cisco_asa: 'show interface ip brief',
  fortinet: 'get system interface physical',
  paloalto_panos: 'show system info',
  dell_os10: 'show interface status',
  mikrotik_routeros: '/ip address print',
  linux: 'ip address show',
  extreme_exos: 'show vlan description',
};
