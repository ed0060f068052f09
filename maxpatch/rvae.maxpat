{
	"patcher": {
		"fileversion": 1,
		"appversion": {
			"major": 8,
			"minor": 6,
			"revision": 0,
			"architecture": "x64",
			"modernui": 1
		},
		"classnamespace": "box",
		"rect": [
			60.0,
			80.0,
			1400.0,
			900.0
		],
		"openrect": [
			0.0,
			0.0,
			1332.0,
			169.0
		],
		"openinpresentation": 1,
		"default_fontsize": 10.0,
		"default_fontface": 0,
		"default_fontname": "Arial",
		"gridonopen": 1,
		"gridsize": [
			15.0,
			15.0
		],
		"gridsnaponopen": 1,
		"toolbarvisible": 1,
		"devicewidth": 1332.0,
		"description": "R-VAE: play the rvae_server drum instrument over OSC (XY pad, mutes, model, training).",
		"digest": "R-VAE OSC control surface",
		"tags": "rvae osc drums",
		"boxes": [
			{
				"box": {
					"id": "obj-1",
					"maxclass": "panel",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						10.0,
						10.0,
						60.0,
						40.0
					],
					"presentation": 1,
					"presentation_rect": [
						0.0,
						0.0,
						1332.0,
						169.0
					],
					"background": 1,
					"bgcolor": [
						0.13,
						0.14,
						0.16,
						1.0
					],
					"border": 0,
					"rounded": 0
				}
			},
			{
				"box": {
					"id": "obj-2",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						80.0,
						10.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						5.0,
						1.0,
						145.0,
						16.0
					],
					"text": "R-VAE  xy",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-3",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						190.0,
						10.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						156.0,
						1.0,
						108.0,
						16.0
					],
					"text": "latent",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-4",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						300.0,
						10.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						1.0,
						446.0,
						16.0
					],
					"text": "mutes / current bar (layer 1)",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-5",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						410.0,
						10.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						1.0,
						204.0,
						16.0
					],
					"text": "model / train",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-6",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						60.0,
						150.0,
						18.0
					],
					"text": "to the server"
				}
			},
			{
				"box": {
					"id": "obj-7",
					"maxclass": "newobj",
					"numinlets": 0,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						84.0,
						92.0,
						22.0
					],
					"text": "r ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-8",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						116.0,
						62.0,
						22.0
					],
					"text": "gate 1 0"
				}
			},
			{
				"box": {
					"id": "obj-9",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						148.0,
						146.0,
						22.0
					],
					"text": "udpsend 127.0.0.1 9000"
				}
			},
			{
				"box": {
					"id": "obj-10",
					"maxclass": "newobj",
					"numinlets": 0,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						190.0,
						116.0,
						110.0,
						22.0
					],
					"text": "r ---rvae-direct"
				}
			},
			{
				"box": {
					"id": "obj-11",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"bang"
					],
					"patching_rect": [
						20.0,
						180.0,
						62.0,
						22.0
					],
					"text": "loadbang"
				}
			},
			{
				"box": {
					"id": "obj-12",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						210.0,
						62.0,
						22.0
					],
					"text": "deferlow"
				}
			},
			{
				"box": {
					"id": "obj-13",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						110.0,
						180.0,
						56.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						496.0,
						130.0,
						56.0,
						16.0
					],
					"text": "connect",
					"parameter_enable": 0,
					"varname": "Connect",
					"mode": 0,
					"texton": "connect",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-14",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						242.0,
						188.0,
						22.0
					],
					"text": "/rvae/feedback 127.0.0.1 9001"
				}
			},
			{
				"box": {
					"id": "obj-15",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						274.0,
						110.0,
						22.0
					],
					"text": "s ---rvae-direct"
				}
			},
			{
				"box": {
					"id": "obj-16",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						330.0,
						420.0,
						18.0
					],
					"text": "XY pad (0..1000) and X / Y dials: a dial moves the pad, the pad sends /rvae/xy"
				}
			},
			{
				"box": {
					"id": "obj-17",
					"maxclass": "pictslider",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"int",
						"int"
					],
					"patching_rect": [
						20.0,
						354.0,
						145.0,
						145.0
					],
					"presentation": 1,
					"presentation_rect": [
						5.0,
						18.0,
						145.0,
						145.0
					],
					"leftvalue": 0,
					"rightvalue": 1000,
					"bottomvalue": 0,
					"topvalue": 1000,
					"parameter_enable": 0,
					"bgcolor": [
						0.2,
						0.21,
						0.24,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-18",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						190.0,
						354.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						156.0,
						18.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "X",
							"parameter_shortname": "X",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "X",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-19",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						250.0,
						354.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						210.0,
						18.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Y",
							"parameter_shortname": "Y",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "Y",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-20",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						190.0,
						410.0,
						56.0,
						22.0
					],
					"text": "* 1000."
				}
			},
			{
				"box": {
					"id": "obj-21",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						250.0,
						410.0,
						56.0,
						22.0
					],
					"text": "* 1000."
				}
			},
			{
				"box": {
					"id": "obj-22",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						20.0,
						510.0,
						56.0,
						22.0
					],
					"text": "* 0.001"
				}
			},
			{
				"box": {
					"id": "obj-23",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						100.0,
						510.0,
						56.0,
						22.0
					],
					"text": "* 0.001"
				}
			},
			{
				"box": {
					"id": "obj-24",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						542.0,
						74.0,
						22.0
					],
					"text": "pack 0. 0."
				}
			},
			{
				"box": {
					"id": "obj-25",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						574.0,
						110.0,
						22.0
					],
					"text": "prepend /rvae/xy"
				}
			},
			{
				"box": {
					"id": "obj-26",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						606.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-27",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						190.0,
						542.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-28",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						280.0,
						542.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-29",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						310.0,
						354.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						156.0,
						70.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Threshold",
							"parameter_shortname": "Threshold",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "Threshold",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-30",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						370.0,
						354.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						210.0,
						70.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Noise",
							"parameter_shortname": "Noise",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "Noise",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-31",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						310.0,
						450.0,
						122.0,
						22.0
					],
					"text": "/rvae/threshold $1"
				}
			},
			{
				"box": {
					"id": "obj-32",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						370.0,
						480.0,
						98.0,
						22.0
					],
					"text": "/rvae/noise $1"
				}
			},
			{
				"box": {
					"id": "obj-33",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						310.0,
						606.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-34",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						420.0,
						606.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-35",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						500.0,
						60.0,
						200.0,
						18.0
					],
					"text": "tempo and transport"
				}
			},
			{
				"box": {
					"id": "obj-36",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						500.0,
						84.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						156.0,
						124.0,
						60.0,
						15.0
					],
					"parameter_enable": 0,
					"varname": "Tempo",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-37",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						564.0,
						84.0,
						40.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						218.0,
						123.0,
						40.0,
						16.0
					],
					"text": "bpm",
					"fontsize": 9.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-38",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						500.0,
						110.0,
						86.0,
						22.0
					],
					"text": "/rvae/bpm $1"
				}
			},
			{
				"box": {
					"id": "obj-39",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						500.0,
						140.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-40",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						610.0,
						84.0,
						40.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						156.0,
						144.0,
						40.0,
						18.0
					],
					"text": "play",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Play",
							"parameter_shortname": "play",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Play",
					"mode": 0,
					"texton": "play",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-41",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						670.0,
						84.0,
						40.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						198.0,
						144.0,
						40.0,
						18.0
					],
					"text": "stop",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Stop",
							"parameter_shortname": "stop",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Stop",
					"mode": 0,
					"texton": "stop",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-42",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						610.0,
						110.0,
						74.0,
						22.0
					],
					"text": "/rvae/play"
				}
			},
			{
				"box": {
					"id": "obj-43",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						700.0,
						110.0,
						74.0,
						22.0
					],
					"text": "/rvae/stop"
				}
			},
			{
				"box": {
					"id": "obj-44",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						610.0,
						140.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-45",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						710.0,
						140.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-46",
					"maxclass": "toggle",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"int"
					],
					"patching_rect": [
						750.0,
						84.0,
						16.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						242.0,
						145.0,
						16.0,
						16.0
					],
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-47",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						500.0,
						200.0,
						320.0,
						18.0
					],
					"text": "mutes: names from rvae_server.core.bar.INSTRUMENT_NAMES"
				}
			},
			{
				"box": {
					"id": "obj-48",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						224.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						18.0,
						60.0,
						12.0
					],
					"text": "kick",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute kick",
							"parameter_shortname": "kick",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute kick",
					"mode": 1,
					"texton": "kick",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-49",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						224.0,
						122.0,
						22.0
					],
					"text": "/rvae/mute kick $1"
				}
			},
			{
				"box": {
					"id": "obj-50",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						224.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-51",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						254.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						30.0,
						60.0,
						12.0
					],
					"text": "snare",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute snare",
							"parameter_shortname": "snare",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute snare",
					"mode": 1,
					"texton": "snare",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-52",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						254.0,
						128.0,
						22.0
					],
					"text": "/rvae/mute snare $1"
				}
			},
			{
				"box": {
					"id": "obj-53",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						254.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-54",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						284.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						42.0,
						60.0,
						12.0
					],
					"text": "closed-hat",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute closed-hat",
							"parameter_shortname": "closed-hat",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute closed-hat",
					"mode": 1,
					"texton": "closed-hat",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-55",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						284.0,
						158.0,
						22.0
					],
					"text": "/rvae/mute closed-hat $1"
				}
			},
			{
				"box": {
					"id": "obj-56",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						284.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-57",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						314.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						54.0,
						60.0,
						12.0
					],
					"text": "open-hat",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute open-hat",
							"parameter_shortname": "open-hat",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute open-hat",
					"mode": 1,
					"texton": "open-hat",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-58",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						314.0,
						146.0,
						22.0
					],
					"text": "/rvae/mute open-hat $1"
				}
			},
			{
				"box": {
					"id": "obj-59",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						314.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-60",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						344.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						66.0,
						60.0,
						12.0
					],
					"text": "low-tom",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute low-tom",
							"parameter_shortname": "low-tom",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute low-tom",
					"mode": 1,
					"texton": "low-tom",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-61",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						344.0,
						140.0,
						22.0
					],
					"text": "/rvae/mute low-tom $1"
				}
			},
			{
				"box": {
					"id": "obj-62",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						344.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-63",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						374.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						78.0,
						60.0,
						12.0
					],
					"text": "mid-tom",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute mid-tom",
							"parameter_shortname": "mid-tom",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute mid-tom",
					"mode": 1,
					"texton": "mid-tom",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-64",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						374.0,
						140.0,
						22.0
					],
					"text": "/rvae/mute mid-tom $1"
				}
			},
			{
				"box": {
					"id": "obj-65",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						374.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-66",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						404.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						90.0,
						60.0,
						12.0
					],
					"text": "high-tom",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute high-tom",
							"parameter_shortname": "high-tom",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute high-tom",
					"mode": 1,
					"texton": "high-tom",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-67",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						404.0,
						146.0,
						22.0
					],
					"text": "/rvae/mute high-tom $1"
				}
			},
			{
				"box": {
					"id": "obj-68",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						404.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-69",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						434.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						102.0,
						60.0,
						12.0
					],
					"text": "crash",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute crash",
							"parameter_shortname": "crash",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute crash",
					"mode": 1,
					"texton": "crash",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-70",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						434.0,
						128.0,
						22.0
					],
					"text": "/rvae/mute crash $1"
				}
			},
			{
				"box": {
					"id": "obj-71",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						434.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-72",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						500.0,
						464.0,
						60.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						114.0,
						60.0,
						12.0
					],
					"text": "ride",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Mute ride",
							"parameter_shortname": "ride",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Mute ride",
					"mode": 1,
					"texton": "ride",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-73",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						570.0,
						464.0,
						122.0,
						22.0
					],
					"text": "/rvae/mute ride $1"
				}
			},
			{
				"box": {
					"id": "obj-74",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						750.0,
						464.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-75",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						60.0,
						340.0,
						18.0
					],
					"text": "model menu: filled from /rvae/models and /rvae/state/models"
				}
			},
			{
				"box": {
					"id": "obj-76",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						860.0,
						84.0,
						150.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						18.0,
						150.0,
						20.0
					],
					"parameter_enable": 0,
					"fontsize": 10.0
				}
			},
			{
				"box": {
					"id": "obj-77",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						860.0,
						114.0,
						128.0,
						22.0
					],
					"text": "prepend /rvae/model"
				}
			},
			{
				"box": {
					"id": "obj-78",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						144.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-79",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						1200.0,
						114.0,
						80.0,
						22.0
					],
					"text": "pattr model",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Model",
							"parameter_shortname": "Model",
							"parameter_type": 3,
							"parameter_invisible": 1
						}
					},
					"varname": "Model"
				}
			},
			{
				"box": {
					"id": "obj-80",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1200.0,
						144.0,
						50.0,
						22.0
					],
					"text": "zl reg"
				}
			},
			{
				"box": {
					"id": "obj-81",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1200.0,
						174.0,
						74.0,
						22.0
					],
					"text": "route bang"
				}
			},
			{
				"box": {
					"id": "obj-82",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1200.0,
						204.0,
						128.0,
						22.0
					],
					"text": "prepend /rvae/model"
				}
			},
			{
				"box": {
					"id": "obj-83",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1200.0,
						234.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-84",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1030.0,
						84.0,
						50.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						876.0,
						18.0,
						50.0,
						20.0
					],
					"text": "refresh",
					"parameter_enable": 0,
					"varname": "Refresh models",
					"mode": 0,
					"texton": "refresh",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-85",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1030.0,
						114.0,
						86.0,
						22.0
					],
					"text": "/rvae/models"
				}
			},
			{
				"box": {
					"id": "obj-86",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1030.0,
						144.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-87",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						180.0,
						74.0,
						22.0
					],
					"text": "route bang"
				}
			},
			{
				"box": {
					"id": "obj-88",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						900.0,
						210.0,
						44.0,
						22.0
					],
					"text": "t a b"
				}
			},
			{
				"box": {
					"id": "obj-89",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						980.0,
						240.0,
						44.0,
						22.0
					],
					"text": "clear"
				}
			},
			{
				"box": {
					"id": "obj-90",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						900.0,
						240.0,
						68.0,
						22.0
					],
					"text": "zl iter 1"
				}
			},
			{
				"box": {
					"id": "obj-91",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						900.0,
						270.0,
						98.0,
						22.0
					],
					"text": "prepend append"
				}
			},
			{
				"box": {
					"id": "obj-92",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1060.0,
						270.0,
						116.0,
						22.0
					],
					"text": "prepend setsymbol"
				}
			},
			{
				"box": {
					"id": "obj-93",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						320.0,
						480.0,
						18.0
					],
					"text": "train: drop a folder (inside the server's clip-dirs), name the model, press train"
				}
			},
			{
				"box": {
					"id": "obj-94",
					"maxclass": "dropfile",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						344.0,
						204.0,
						30.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						42.0,
						204.0,
						30.0
					],
					"types": [
						"fold"
					],
					"bordercolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-95",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1070.0,
						344.0,
						150.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						728.0,
						48.0,
						190.0,
						18.0
					],
					"text": "drop a clip folder here",
					"fontsize": 9.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					],
					"background": 1,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-96",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"int"
					],
					"patching_rect": [
						860.0,
						384.0,
						146.0,
						22.0
					],
					"text": "conformpath slash boot"
				}
			},
			{
				"box": {
					"id": "obj-97",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						416.0,
						50.0,
						22.0
					],
					"text": "zl reg"
				}
			},
			{
				"box": {
					"id": "obj-98",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1020.0,
						416.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-99",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1020.0,
						446.0,
						30.0,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						74.0,
						204.0,
						16.0
					],
					"text": "",
					"fontsize": 8.0,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-100",
					"maxclass": "textedit",
					"numinlets": 1,
					"numoutlets": 4,
					"outlettype": [
						"",
						"int",
						"",
						""
					],
					"patching_rect": [
						1160.0,
						384.0,
						100.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						93.0,
						100.0,
						18.0
					],
					"text": "mygroove",
					"keymode": 1,
					"lines": 1,
					"fontsize": 10.0,
					"parameter_enable": 0
				}
			},
			{
				"box": {
					"id": "obj-101",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1160.0,
						416.0,
						48.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						826.0,
						93.0,
						48.0,
						18.0
					],
					"text": "train",
					"parameter_enable": 0,
					"varname": "Train",
					"mode": 0,
					"texton": "train",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-102",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1220.0,
						416.0,
						48.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						878.0,
						93.0,
						48.0,
						18.0
					],
					"text": "cancel",
					"parameter_enable": 0,
					"varname": "Cancel training",
					"mode": 0,
					"texton": "cancel",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-103",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"bang",
						"bang"
					],
					"patching_rect": [
						1160.0,
						446.0,
						44.0,
						22.0
					],
					"text": "t b b"
				}
			},
			{
				"box": {
					"id": "obj-104",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1280.0,
						416.0,
						74.0,
						22.0
					],
					"text": "route text"
				}
			},
			{
				"box": {
					"id": "obj-105",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						480.0,
						56.0,
						22.0
					],
					"text": "zl join"
				}
			},
			{
				"box": {
					"id": "obj-106",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						860.0,
						512.0,
						128.0,
						22.0
					],
					"text": "prepend /rvae/train"
				}
			},
			{
				"box": {
					"id": "obj-107",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						544.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-108",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1220.0,
						480.0,
						122.0,
						22.0
					],
					"text": "/rvae/train/cancel"
				}
			},
			{
				"box": {
					"id": "obj-109",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1220.0,
						512.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-110",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						860.0,
						580.0,
						440.0,
						18.0
					],
					"text": "loss per epoch: train (accent) and validation (light), scaled to epoch 1"
				}
			},
			{
				"box": {
					"id": "obj-111",
					"maxclass": "multislider",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1380.0,
						604.0,
						204.0,
						36.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						114.0,
						204.0,
						36.0
					],
					"setminmax": [
						0.0,
						1.0
					],
					"settype": 1,
					"setstyle": 1,
					"size": 1,
					"slidercolor": [
						0.98,
						0.62,
						0.2,
						1.0
					],
					"bgcolor": [
						0.2,
						0.21,
						0.24,
						1.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0
				}
			},
			{
				"box": {
					"id": "obj-112",
					"maxclass": "multislider",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1380.0,
						654.0,
						204.0,
						36.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						114.0,
						204.0,
						36.0
					],
					"setminmax": [
						0.0,
						1.0
					],
					"settype": 1,
					"setstyle": 1,
					"size": 1,
					"slidercolor": [
						0.86,
						0.87,
						0.89,
						1.0
					],
					"bgcolor": [
						0.0,
						0.0,
						0.0,
						0.0
					],
					"ignoreclick": 1,
					"parameter_enable": 0
				}
			},
			{
				"box": {
					"id": "obj-113",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						604.0,
						44.0,
						22.0
					],
					"text": "t l l"
				}
			},
			{
				"box": {
					"id": "obj-114",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						960.0,
						636.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-115",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						960.0,
						666.0,
						62.0,
						22.0
					],
					"text": "zl nth 2"
				}
			},
			{
				"box": {
					"id": "obj-116",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						960.0,
						696.0,
						44.0,
						22.0
					],
					"text": "* 1.2"
				}
			},
			{
				"box": {
					"id": "obj-117",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						726.0,
						134.0,
						22.0
					],
					"text": "prepend setminmax 0."
				}
			},
			{
				"box": {
					"id": "obj-118",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						770.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-119",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						800.0,
						62.0,
						22.0
					],
					"text": "zl nth 2"
				}
			},
			{
				"box": {
					"id": "obj-120",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						830.0,
						44.0,
						22.0
					],
					"text": "t l b"
				}
			},
			{
				"box": {
					"id": "obj-121",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						920.0,
						860.0,
						50.0,
						22.0
					],
					"text": "size 1"
				}
			},
			{
				"box": {
					"id": "obj-122",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						980.0,
						800.0,
						62.0,
						22.0
					],
					"text": "zl nth 3"
				}
			},
			{
				"box": {
					"id": "obj-123",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						980.0,
						830.0,
						44.0,
						22.0
					],
					"text": "t b l"
				}
			},
			{
				"box": {
					"id": "obj-124",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						980.0,
						860.0,
						50.0,
						22.0
					],
					"text": "zl reg"
				}
			},
			{
				"box": {
					"id": "obj-125",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						980.0,
						890.0,
						56.0,
						22.0
					],
					"text": "zl join"
				}
			},
			{
				"box": {
					"id": "obj-126",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						860.0,
						920.0,
						44.0,
						22.0
					],
					"text": "t l l"
				}
			},
			{
				"box": {
					"id": "obj-127",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1100.0,
						770.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-128",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1100.0,
						800.0,
						62.0,
						22.0
					],
					"text": "zl nth 3"
				}
			},
			{
				"box": {
					"id": "obj-129",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1100.0,
						830.0,
						44.0,
						22.0
					],
					"text": "t l b"
				}
			},
			{
				"box": {
					"id": "obj-130",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1160.0,
						860.0,
						50.0,
						22.0
					],
					"text": "size 1"
				}
			},
			{
				"box": {
					"id": "obj-131",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1220.0,
						800.0,
						62.0,
						22.0
					],
					"text": "zl nth 4"
				}
			},
			{
				"box": {
					"id": "obj-132",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1220.0,
						830.0,
						44.0,
						22.0
					],
					"text": "t b l"
				}
			},
			{
				"box": {
					"id": "obj-133",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1220.0,
						860.0,
						50.0,
						22.0
					],
					"text": "zl reg"
				}
			},
			{
				"box": {
					"id": "obj-134",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1220.0,
						890.0,
						56.0,
						22.0
					],
					"text": "zl join"
				}
			},
			{
				"box": {
					"id": "obj-135",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1100.0,
						920.0,
						44.0,
						22.0
					],
					"text": "t l l"
				}
			},
			{
				"box": {
					"id": "obj-136",
					"maxclass": "newobj",
					"numinlets": 4,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						860.0,
						970.0,
						302.0,
						22.0
					],
					"text": "sprintf set epoch %ld of %ld train %.4f val %.4f"
				}
			},
			{
				"box": {
					"id": "obj-137",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						860.0,
						1062.0,
						30.0,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						722.0,
						152.0,
						204.0,
						15.0
					],
					"text": "",
					"fontsize": 8.0,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-138",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1180.0,
						970.0,
						152.0,
						22.0
					],
					"text": "prepend set started job"
				}
			},
			{
				"box": {
					"id": "obj-139",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1180.0,
						1000.0,
						152.0,
						22.0
					],
					"text": "prepend set done: model"
				}
			},
			{
				"box": {
					"id": "obj-140",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1180.0,
						1030.0,
						128.0,
						22.0
					],
					"text": "prepend set failed:"
				}
			},
			{
				"box": {
					"id": "obj-141",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1360.0,
						1030.0,
						140.0,
						22.0
					],
					"text": "prepend set cancelled"
				}
			},
			{
				"box": {
					"id": "obj-142",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						60.0,
						460.0,
						18.0
					],
					"text": "output: play here (the device's own track) or let the server play its MIDI port"
				}
			},
			{
				"box": {
					"id": "obj-143",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1500.0,
						84.0,
						120.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						556.0,
						130.0,
						160.0,
						16.0
					],
					"text": "server plays the port",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Play here",
							"parameter_shortname": "play here",
							"parameter_type": 2,
							"parameter_enum": [
								"server port",
								"play here"
							],
							"parameter_mmax": 1,
							"parameter_initial_enable": 1,
							"parameter_initial": [
								0
							],
							"parameter_invisible": 1
						}
					},
					"varname": "Play here",
					"mode": 1,
					"texton": "play here (own track)",
					"fontsize": 9.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-144",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1500.0,
						116.0,
						128.0,
						22.0
					],
					"text": "/rvae/plans $1 9001"
				}
			},
			{
				"box": {
					"id": "obj-145",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						148.0,
						110.0,
						22.0
					],
					"text": "s ---rvae-direct"
				}
			},
			{
				"box": {
					"id": "obj-146",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1700.0,
						116.0,
						98.0,
						22.0
					],
					"text": "prepend enable"
				}
			},
			{
				"box": {
					"id": "obj-147",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"bang"
					],
					"patching_rect": [
						1500.0,
						190.0,
						116.0,
						22.0
					],
					"text": "metro 1 @active 1"
				}
			},
			{
				"box": {
					"id": "obj-148",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": [
						"int",
						"int",
						"float",
						"int",
						"float",
						"int",
						"int",
						"int",
						"float"
					],
					"patching_rect": [
						1500.0,
						220.0,
						68.0,
						22.0
					],
					"text": "transport"
				}
			},
			{
				"box": {
					"id": "obj-149",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1500.0,
						250.0,
						68.0,
						22.0
					],
					"text": "pack 0 0."
				}
			},
			{
				"box": {
					"id": "obj-150",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1500.0,
						280.0,
						116.0,
						22.0
					],
					"text": "prepend transport"
				}
			},
			{
				"box": {
					"id": "obj-151",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1500.0,
						310.0,
						146.0,
						22.0
					],
					"text": "js rvae_sequencer.js 1"
				}
			},
			{
				"box": {
					"id": "obj-152",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1500.0,
						340.0,
						56.0,
						22.0
					],
					"text": "midiout"
				}
			},
			{
				"box": {
					"id": "obj-153",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						680.0,
						520.0,
						18.0
					],
					"text": "current bar: /rvae/bar/row layer instrument v0..v95 -> matrixctrl (column tick, row instrument)"
				}
			},
			{
				"box": {
					"id": "obj-154",
					"maxclass": "matrixctrl",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"list",
						"list"
					],
					"patching_rect": [
						400.0,
						740.0,
						384.0,
						108.0
					],
					"presentation": 1,
					"presentation_rect": [
						332.0,
						18.0,
						384.0,
						108.0
					],
					"columns": 96,
					"rows": 9,
					"ignoreclick": 1,
					"parameter_enable": 0,
					"horizontalmargin": 0,
					"verticalmargin": 0,
					"horizontalspacing": 0,
					"verticalspacing": 1
				}
			},
			{
				"box": {
					"id": "obj-155",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						704.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-156",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						734.0,
						44.0,
						22.0
					],
					"text": "t l l"
				}
			},
			{
				"box": {
					"id": "obj-157",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						140.0,
						764.0,
						62.0,
						22.0
					],
					"text": "zl nth 1"
				}
			},
			{
				"box": {
					"id": "obj-158",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						764.0,
						74.0,
						22.0
					],
					"text": "zl slice 1"
				}
			},
			{
				"box": {
					"id": "obj-159",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						"list"
					],
					"patching_rect": [
						20.0,
						794.0,
						74.0,
						22.0
					],
					"text": "listfunnel"
				}
			},
			{
				"box": {
					"id": "obj-160",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"int",
						"int"
					],
					"patching_rect": [
						20.0,
						824.0,
						74.0,
						22.0
					],
					"text": "unpack 0 0"
				}
			},
			{
				"box": {
					"id": "obj-161",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"int"
					],
					"patching_rect": [
						100.0,
						854.0,
						32.0,
						22.0
					],
					"text": "> 0"
				}
			},
			{
				"box": {
					"id": "obj-162",
					"maxclass": "newobj",
					"numinlets": 3,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						884.0,
						74.0,
						22.0
					],
					"text": "pack 0 0 0"
				}
			},
			{
				"box": {
					"id": "obj-163",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						240.0,
						704.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-164",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						240.0,
						734.0,
						104.0,
						22.0
					],
					"text": "prepend set bar"
				}
			},
			{
				"box": {
					"id": "obj-165",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						240.0,
						764.0,
						30.0,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						130.0,
						222.0,
						16.0
					],
					"text": "",
					"fontsize": 9.0,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-166",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						940.0,
						480.0,
						18.0
					],
					"text": "feedback from the server (udpreceive 9001, registered with /rvae/feedback)"
				}
			},
			{
				"box": {
					"id": "obj-167",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						964.0,
						104.0,
						22.0
					],
					"text": "udpreceive 9001"
				}
			},
			{
				"box": {
					"id": "obj-168",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						20.0,
						996.0,
						848.0,
						22.0
					],
					"text": "route /rvae/plan /rvae/bar/row /rvae/bar /rvae/train/progress /rvae/train/started /rvae/train/done /rvae/train/failed /rvae/train/cancelled"
				}
			},
			{
				"box": {
					"id": "obj-169",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						60.0,
						1026.0,
						842.0,
						22.0
					],
					"text": "route /rvae/models /rvae/state/models /rvae/state/layer /rvae/state/bpm /rvae/state/playing /rvae/error /rvae/warning /rvae/feedback/added"
				}
			},
			{
				"box": {
					"id": "obj-170",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						1070.0,
						86.0,
						22.0
					],
					"text": "prepend plan"
				}
			},
			{
				"box": {
					"id": "obj-171",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						1070.0,
						56.0,
						22.0
					],
					"text": "route 1"
				}
			},
			{
				"box": {
					"id": "obj-172",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 7,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						20.0,
						1100.0,
						236.0,
						22.0
					],
					"text": "route threshold noise model mutes x y"
				}
			},
			{
				"box": {
					"id": "obj-173",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1130.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-174",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						120.0,
						1130.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-175",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 9,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						20.0,
						1170.0,
						158.0,
						22.0
					],
					"text": "unpack 0 0 0 0 0 0 0 0 0"
				}
			},
			{
				"box": {
					"id": "obj-176",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-177",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						110.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-178",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						200.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-179",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						290.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-180",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						380.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-181",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						470.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-182",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						560.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-183",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						650.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-184",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						740.0,
						1200.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-185",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						120.0,
						1270.0,
						68.0,
						22.0
					],
					"text": "pak 0. 0."
				}
			},
			{
				"box": {
					"id": "obj-186",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1230.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-187",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						220.0,
						1230.0,
						56.0,
						22.0
					],
					"text": "* 1000."
				}
			},
			{
				"box": {
					"id": "obj-188",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						120.0,
						1230.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-189",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"float"
					],
					"patching_rect": [
						290.0,
						1230.0,
						56.0,
						22.0
					],
					"text": "* 1000."
				}
			},
			{
				"box": {
					"id": "obj-190",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						120.0,
						1300.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-191",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						860.0,
						1110.0,
						62.0,
						22.0
					],
					"text": "deferlow"
				}
			},
			{
				"box": {
					"id": "obj-192",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"bang",
						"bang",
						"bang"
					],
					"patching_rect": [
						860.0,
						1140.0,
						56.0,
						22.0
					],
					"text": "t b b b"
				}
			},
			{
				"box": {
					"id": "obj-193",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						960.0,
						1170.0,
						30.0,
						22.0
					],
					"text": "1"
				}
			},
			{
				"box": {
					"id": "obj-194",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						320.0,
						1070.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-195",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						420.0,
						1070.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-196",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						1240.0,
						30.0,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						270.0,
						148.0,
						446.0,
						16.0
					],
					"text": "",
					"fontsize": 9.0,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-197",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						1070.0,
						122.0,
						22.0
					],
					"text": "prepend set error:"
				}
			},
			{
				"box": {
					"id": "obj-198",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						1110.0,
						134.0,
						22.0
					],
					"text": "prepend set warning:"
				}
			},
			{
				"box": {
					"id": "obj-199",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						580.0,
						1150.0,
						218.0,
						22.0
					],
					"text": "prepend set connected, feedback to"
				}
			},
			{
				"box": {
					"id": "obj-200",
					"maxclass": "newobj",
					"numinlets": 0,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						940.0,
						1200.0,
						110.0,
						22.0
					],
					"text": "r ---rvae-status"
				}
			},
			{
				"box": {
					"id": "obj-201",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						720.0,
						1240.0,
						74.0,
						22.0
					],
					"text": "print rvae"
				}
			},
			{
				"box": {
					"id": "obj-202",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						820.0,
						1240.0,
						86.0,
						22.0
					],
					"text": "s ---rvae-in"
				}
			},
			{
				"box": {
					"id": "obj-203",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2100.0,
						60.0,
						460.0,
						18.0
					],
					"text": "melody layer: /rvae/melody/... (global: the melody follows one drum layer)"
				}
			},
			{
				"box": {
					"id": "obj-204",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2100.0,
						84.0,
						60.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						936.0,
						1.0,
						220.0,
						16.0
					],
					"text": "melody",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-205",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						2100.0,
						114.0,
						44.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						936.0,
						18.0,
						44.0,
						16.0
					],
					"text": "on",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Melody on",
							"parameter_shortname": "on",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Melody on",
					"mode": 1,
					"texton": "on",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-206",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						2220.0,
						114.0,
						60.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						984.0,
						18.0,
						60.0,
						18.0
					],
					"parameter_enable": 0,
					"fontsize": 9.0,
					"items": [
						"C",
						",",
						"Db",
						",",
						"D",
						",",
						"Eb",
						",",
						"E",
						",",
						"F",
						",",
						"F#",
						",",
						"G",
						",",
						"Ab",
						",",
						"A",
						",",
						"Bb",
						",",
						"B",
						",",
						"Cm",
						",",
						"C#m",
						",",
						"Dm",
						",",
						"Ebm",
						",",
						"Em",
						",",
						"Fm",
						",",
						"F#m",
						",",
						"Gm",
						",",
						"G#m",
						",",
						"Am",
						",",
						"Bbm",
						",",
						"Bm"
					]
				}
			},
			{
				"box": {
					"id": "obj-207",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						2340.0,
						114.0,
						64.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						1048.0,
						18.0,
						64.0,
						18.0
					],
					"parameter_enable": 0,
					"fontsize": 9.0,
					"items": [
						"bass",
						",",
						"keys",
						",",
						"guitar",
						",",
						"pad",
						",",
						"lead"
					]
				}
			},
			{
				"box": {
					"id": "obj-208",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						2100.0,
						144.0,
						44.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						936.0,
						40.0,
						44.0,
						16.0
					],
					"text": "scale",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Scale lock",
							"parameter_shortname": "scale",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Scale lock",
					"mode": 1,
					"texton": "scale",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-209",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2220.0,
						144.0,
						36.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						984.0,
						40.0,
						36.0,
						15.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Octave",
							"parameter_shortname": "Octave",
							"parameter_type": 1,
							"parameter_mmin": 0,
							"parameter_mmax": 8
						}
					},
					"varname": "Octave",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-210",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2270.0,
						144.0,
						30.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						1022.0,
						39.0,
						26.0,
						16.0
					],
					"text": "oct",
					"fontsize": 9.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-211",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2340.0,
						144.0,
						36.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						1048.0,
						40.0,
						36.0,
						15.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Follows layer",
							"parameter_shortname": "Follows layer",
							"parameter_type": 1,
							"parameter_mmin": 1,
							"parameter_mmax": 8
						}
					},
					"varname": "Follows layer",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-212",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2390.0,
						144.0,
						40.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						1086.0,
						39.0,
						36.0,
						16.0
					],
					"text": "layer",
					"fontsize": 9.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-213",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2100.0,
						174.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						936.0,
						60.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Density",
							"parameter_shortname": "Density",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "Density",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-214",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						2160.0,
						174.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						992.0,
						60.0,
						50.0,
						50.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Temperature",
							"parameter_shortname": "Temperature",
							"parameter_type": 0,
							"parameter_mmin": 0.05,
							"parameter_mmax": 3.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "Temperature",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-215",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						84.0,
						146.0,
						22.0
					],
					"text": "/rvae/melody/enable $1"
				}
			},
			{
				"box": {
					"id": "obj-216",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						84.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-217",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						114.0,
						170.0,
						22.0
					],
					"text": "/rvae/melody/scale-lock $1"
				}
			},
			{
				"box": {
					"id": "obj-218",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						114.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-219",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						144.0,
						146.0,
						22.0
					],
					"text": "/rvae/melody/octave $1"
				}
			},
			{
				"box": {
					"id": "obj-220",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						144.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-221",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						174.0,
						140.0,
						22.0
					],
					"text": "/rvae/melody/layer $1"
				}
			},
			{
				"box": {
					"id": "obj-222",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						174.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-223",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						204.0,
						152.0,
						22.0
					],
					"text": "/rvae/melody/density $1"
				}
			},
			{
				"box": {
					"id": "obj-224",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						204.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-225",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						234.0,
						176.0,
						22.0
					],
					"text": "/rvae/melody/temperature $1"
				}
			},
			{
				"box": {
					"id": "obj-226",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						234.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-227",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						270.0,
						158.0,
						22.0
					],
					"text": "prepend /rvae/melody/key"
				}
			},
			{
				"box": {
					"id": "obj-228",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						270.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-229",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2580.0,
						300.0,
						176.0,
						22.0
					],
					"text": "prepend /rvae/melody/family"
				}
			},
			{
				"box": {
					"id": "obj-230",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						2860.0,
						300.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-231",
					"maxclass": "newobj",
					"numinlets": 0,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2100.0,
						360.0,
						86.0,
						22.0
					],
					"text": "r ---rvae-in"
				}
			},
			{
				"box": {
					"id": "obj-232",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 3,
					"outlettype": [
						"",
						"",
						""
					],
					"patching_rect": [
						2100.0,
						390.0,
						236.0,
						22.0
					],
					"text": "route /rvae/melody /rvae/state/melody"
				}
			},
			{
				"box": {
					"id": "obj-233",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2100.0,
						420.0,
						104.0,
						22.0
					],
					"text": "prepend set bar"
				}
			},
			{
				"box": {
					"id": "obj-234",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2100.0,
						450.0,
						30.0,
						22.0
					],
					"presentation": 1,
					"presentation_rect": [
						1046.0,
						60.0,
						110.0,
						16.0
					],
					"text": "",
					"fontsize": 9.0,
					"ignoreclick": 1
				}
			},
			{
				"box": {
					"id": "obj-235",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 9,
					"outlettype": [
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						"",
						""
					],
					"patching_rect": [
						2340.0,
						420.0,
						422.0,
						22.0
					],
					"text": "route enabled key family scale_lock octave layer density temperature"
				}
			},
			{
				"box": {
					"id": "obj-236",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2340.0,
						460.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-237",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2470.0,
						460.0,
						116.0,
						22.0
					],
					"text": "prepend setsymbol"
				}
			},
			{
				"box": {
					"id": "obj-238",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2600.0,
						460.0,
						116.0,
						22.0
					],
					"text": "prepend setsymbol"
				}
			},
			{
				"box": {
					"id": "obj-239",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2730.0,
						460.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-240",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2340.0,
						490.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-241",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2470.0,
						490.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-242",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2600.0,
						490.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-243",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						2730.0,
						490.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-244",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1500.0,
						480.0,
						18.0
					],
					"text": "motion: LFO depth (sine, 1 bar) on X and Y, swing, follow, gesture loop, presets"
				}
			},
			{
				"box": {
					"id": "obj-245",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						580.0,
						1500.0,
						60.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						1.0,
						60.0,
						16.0
					],
					"text": "motion",
					"fontsize": 9.0,
					"textcolor": [
						0.98,
						0.62,
						0.2,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-246",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						20.0,
						1524.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						18.0,
						40.0,
						48.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "LFO X",
							"parameter_shortname": "LFO X",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "LFO X",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-247",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1580.0,
						140.0,
						22.0
					],
					"text": "/rvae/lfo/x sine 1 $1"
				}
			},
			{
				"box": {
					"id": "obj-248",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1610.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-249",
					"maxclass": "live.dial",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						240.0,
						1524.0,
						44.0,
						48.0
					],
					"presentation": 1,
					"presentation_rect": [
						1208.0,
						18.0,
						40.0,
						48.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "LFO Y",
							"parameter_shortname": "LFO Y",
							"parameter_type": 0,
							"parameter_mmin": 0.0,
							"parameter_mmax": 1.0,
							"parameter_unitstyle": 1
						}
					},
					"varname": "LFO Y",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-250",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						240.0,
						1580.0,
						140.0,
						22.0
					],
					"text": "/rvae/lfo/y sine 1 $1"
				}
			},
			{
				"box": {
					"id": "obj-251",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						240.0,
						1610.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-252",
					"maxclass": "live.numbox",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						"float"
					],
					"patching_rect": [
						460.0,
						1524.0,
						50.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						1256.0,
						22.0,
						44.0,
						15.0
					],
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Swing",
							"parameter_shortname": "Swing",
							"parameter_type": 0,
							"parameter_mmin": 50.0,
							"parameter_mmax": 75.0,
							"parameter_unitstyle": 5
						}
					},
					"varname": "Swing",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-253",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						460.0,
						1550.0,
						98.0,
						22.0
					],
					"text": "/rvae/swing $1"
				}
			},
			{
				"box": {
					"id": "obj-254",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						460.0,
						1580.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-255",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						680.0,
						1524.0,
						44.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						1256.0,
						42.0,
						44.0,
						15.0
					],
					"text": "follow",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Follow",
							"parameter_shortname": "Follow",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Follow",
					"mode": 1,
					"texton": "follow",
					"fontsize": 8.0
				}
			},
			{
				"box": {
					"id": "obj-256",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1550.0,
						104.0,
						22.0
					],
					"text": "/rvae/follow $1"
				}
			},
			{
				"box": {
					"id": "obj-257",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						680.0,
						1580.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-258",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						900.0,
						1524.0,
						52.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						70.0,
						52.0,
						15.0
					],
					"text": "loop 2",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Record loop",
							"parameter_shortname": "loop 2",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Record loop",
					"mode": 0,
					"texton": "loop 2",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-259",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1120.0,
						1524.0,
						40.0,
						15.0
					],
					"presentation": 1,
					"presentation_rect": [
						1220.0,
						70.0,
						40.0,
						15.0
					],
					"text": "clear",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "Clear loop",
							"parameter_shortname": "clear",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "Clear loop",
					"mode": 0,
					"texton": "clear",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-260",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						900.0,
						1550.0,
						146.0,
						22.0
					],
					"text": "/rvae/gesture/record 2"
				}
			},
			{
				"box": {
					"id": "obj-261",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1120.0,
						1550.0,
						128.0,
						22.0
					],
					"text": "/rvae/gesture/clear"
				}
			},
			{
				"box": {
					"id": "obj-262",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						900.0,
						1580.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-263",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1120.0,
						1580.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-264",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1650.0,
						200.0,
						18.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						88.0,
						160.0,
						14.0
					],
					"text": "store / recall (glide 1 bar)",
					"fontsize": 8.0,
					"textcolor": [
						0.86,
						0.87,
						0.89,
						1.0
					]
				}
			},
			{
				"box": {
					"id": "obj-265",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						104.0,
						18.0,
						16.0
					],
					"text": "1",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S1",
							"parameter_shortname": "1",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S1",
					"mode": 0,
					"texton": "1",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-266",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 1"
				}
			},
			{
				"box": {
					"id": "obj-267",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-268",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						240.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1184.0,
						104.0,
						18.0,
						16.0
					],
					"text": "2",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S2",
							"parameter_shortname": "2",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S2",
					"mode": 0,
					"texton": "2",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-269",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						240.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 2"
				}
			},
			{
				"box": {
					"id": "obj-270",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						240.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-271",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						460.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1204.0,
						104.0,
						18.0,
						16.0
					],
					"text": "3",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S3",
							"parameter_shortname": "3",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S3",
					"mode": 0,
					"texton": "3",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-272",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						460.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 3"
				}
			},
			{
				"box": {
					"id": "obj-273",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						460.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-274",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						680.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1224.0,
						104.0,
						18.0,
						16.0
					],
					"text": "4",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S4",
							"parameter_shortname": "4",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S4",
					"mode": 0,
					"texton": "4",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-275",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 4"
				}
			},
			{
				"box": {
					"id": "obj-276",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						680.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-277",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						900.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1244.0,
						104.0,
						18.0,
						16.0
					],
					"text": "5",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S5",
							"parameter_shortname": "5",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S5",
					"mode": 0,
					"texton": "5",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-278",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						900.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 5"
				}
			},
			{
				"box": {
					"id": "obj-279",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						900.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-280",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1120.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1264.0,
						104.0,
						18.0,
						16.0
					],
					"text": "6",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S6",
							"parameter_shortname": "6",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S6",
					"mode": 0,
					"texton": "6",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-281",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1120.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 6"
				}
			},
			{
				"box": {
					"id": "obj-282",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1120.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-283",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1340.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1284.0,
						104.0,
						18.0,
						16.0
					],
					"text": "7",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S7",
							"parameter_shortname": "7",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S7",
					"mode": 0,
					"texton": "7",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-284",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1340.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 7"
				}
			},
			{
				"box": {
					"id": "obj-285",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1340.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-286",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1560.0,
						1680.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1304.0,
						104.0,
						18.0,
						16.0
					],
					"text": "8",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "S8",
							"parameter_shortname": "8",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "S8",
					"mode": 0,
					"texton": "8",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-287",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1560.0,
						1706.0,
						134.0,
						22.0
					],
					"text": "/rvae/preset/store 8"
				}
			},
			{
				"box": {
					"id": "obj-288",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1560.0,
						1736.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-289",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						124.0,
						18.0,
						16.0
					],
					"text": "1",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P1",
							"parameter_shortname": "1",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P1",
					"mode": 0,
					"texton": "1",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-290",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 1 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-291",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-292",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						240.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1184.0,
						124.0,
						18.0,
						16.0
					],
					"text": "2",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P2",
							"parameter_shortname": "2",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P2",
					"mode": 0,
					"texton": "2",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-293",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						240.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 2 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-294",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						240.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-295",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						460.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1204.0,
						124.0,
						18.0,
						16.0
					],
					"text": "3",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P3",
							"parameter_shortname": "3",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P3",
					"mode": 0,
					"texton": "3",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-296",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						460.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 3 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-297",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						460.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-298",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						680.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1224.0,
						124.0,
						18.0,
						16.0
					],
					"text": "4",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P4",
							"parameter_shortname": "4",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P4",
					"mode": 0,
					"texton": "4",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-299",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 4 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-300",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						680.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-301",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						900.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1244.0,
						124.0,
						18.0,
						16.0
					],
					"text": "5",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P5",
							"parameter_shortname": "5",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P5",
					"mode": 0,
					"texton": "5",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-302",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						900.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 5 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-303",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						900.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-304",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1120.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1264.0,
						124.0,
						18.0,
						16.0
					],
					"text": "6",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P6",
							"parameter_shortname": "6",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P6",
					"mode": 0,
					"texton": "6",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-305",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1120.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 6 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-306",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1120.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-307",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1340.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1284.0,
						124.0,
						18.0,
						16.0
					],
					"text": "7",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P7",
							"parameter_shortname": "7",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P7",
					"mode": 0,
					"texton": "7",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-308",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1340.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 7 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-309",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1340.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-310",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						1560.0,
						1770.0,
						18.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1304.0,
						124.0,
						18.0,
						16.0
					],
					"text": "8",
					"parameter_enable": 1,
					"saved_attribute_attributes": {
						"valueof": {
							"parameter_longname": "P8",
							"parameter_shortname": "8",
							"parameter_type": 2,
							"parameter_enum": [
								"off",
								"on"
							],
							"parameter_mmax": 1
						}
					},
					"varname": "P8",
					"mode": 0,
					"texton": "8",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-311",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						1560.0,
						1796.0,
						182.0,
						22.0
					],
					"text": "/rvae/preset/recall 8 1 bars"
				}
			},
			{
				"box": {
					"id": "obj-312",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						1560.0,
						1826.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-313",
					"maxclass": "comment",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1860.0,
						560.0,
						18.0
					],
					"text": "to clip: the last bars of this layer into a new clip on this track (Live API); notes: a note map"
				}
			},
			{
				"box": {
					"id": "obj-314",
					"maxclass": "live.text",
					"numinlets": 1,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						20.0,
						1884.0,
						40.0,
						16.0
					],
					"presentation": 1,
					"presentation_rect": [
						1164.0,
						148.0,
						40.0,
						16.0
					],
					"text": "to clip",
					"parameter_enable": 0,
					"varname": "To clip",
					"mode": 0,
					"texton": "to clip",
					"fontsize": 9.0
				}
			},
			{
				"box": {
					"id": "obj-315",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						240.0,
						1884.0,
						34.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						1206.0,
						146.0,
						34.0,
						20.0
					],
					"parameter_enable": 0,
					"fontsize": 9.0,
					"items": [
						"1",
						",",
						"2",
						",",
						"4",
						",",
						"8",
						",",
						"16"
					]
				}
			},
			{
				"box": {
					"id": "obj-316",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						"int"
					],
					"patching_rect": [
						240.0,
						1920.0,
						32.0,
						22.0
					],
					"text": "i 4"
				}
			},
			{
				"box": {
					"id": "obj-317",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						340.0,
						1920.0,
						74.0,
						22.0
					],
					"text": "fromsymbol"
				}
			},
			{
				"box": {
					"id": "obj-318",
					"maxclass": "message",
					"numinlets": 2,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						20.0,
						1950.0,
						140.0,
						22.0
					],
					"text": "/rvae/capture/clip $1"
				}
			},
			{
				"box": {
					"id": "obj-319",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						20.0,
						1980.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-320",
					"maxclass": "umenu",
					"numinlets": 1,
					"numoutlets": 3,
					"outlettype": [
						"int",
						"",
						""
					],
					"patching_rect": [
						460.0,
						1884.0,
						84.0,
						20.0
					],
					"presentation": 1,
					"presentation_rect": [
						1244.0,
						146.0,
						84.0,
						20.0
					],
					"parameter_enable": 0,
					"fontsize": 9.0,
					"items": [
						"gm",
						",",
						"drumrack",
						",",
						"tr8s",
						",",
						"digitakt",
						",",
						"syntakt"
					]
				}
			},
			{
				"box": {
					"id": "obj-321",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						460.0,
						1920.0,
						128.0,
						22.0
					],
					"text": "prepend /rvae/notes"
				}
			},
			{
				"box": {
					"id": "obj-322",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						460.0,
						1950.0,
						92.0,
						22.0
					],
					"text": "s ---rvae-out"
				}
			},
			{
				"box": {
					"id": "obj-323",
					"maxclass": "newobj",
					"numinlets": 0,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1884.0,
						86.0,
						22.0
					],
					"text": "r ---rvae-in"
				}
			},
			{
				"box": {
					"id": "obj-324",
					"maxclass": "newobj",
					"numinlets": 2,
					"numoutlets": 2,
					"outlettype": [
						"",
						""
					],
					"patching_rect": [
						680.0,
						1914.0,
						110.0,
						22.0
					],
					"text": "route /rvae/clip"
				}
			},
			{
				"box": {
					"id": "obj-325",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1944.0,
						86.0,
						22.0
					],
					"text": "prepend clip"
				}
			},
			{
				"box": {
					"id": "obj-326",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						1974.0,
						116.0,
						22.0
					],
					"text": "js rvae_clip.js 1"
				}
			},
			{
				"box": {
					"id": "obj-327",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 1,
					"outlettype": [
						""
					],
					"patching_rect": [
						680.0,
						2004.0,
						80.0,
						22.0
					],
					"text": "prepend set"
				}
			},
			{
				"box": {
					"id": "obj-328",
					"maxclass": "newobj",
					"numinlets": 1,
					"numoutlets": 0,
					"patching_rect": [
						680.0,
						2034.0,
						110.0,
						22.0
					],
					"text": "s ---rvae-status"
				}
			}
		],
		"lines": [
			{
				"patchline": {
					"destination": [
						"obj-8",
						1
					],
					"source": [
						"obj-7",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-9",
						0
					],
					"source": [
						"obj-8",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-9",
						0
					],
					"source": [
						"obj-10",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-12",
						0
					],
					"source": [
						"obj-11",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-14",
						0
					],
					"source": [
						"obj-12",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-14",
						0
					],
					"source": [
						"obj-13",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-15",
						0
					],
					"source": [
						"obj-14",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-20",
						0
					],
					"source": [
						"obj-18",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-21",
						0
					],
					"source": [
						"obj-19",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-17",
						0
					],
					"source": [
						"obj-20",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-17",
						1
					],
					"source": [
						"obj-21",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-22",
						0
					],
					"source": [
						"obj-17",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-23",
						0
					],
					"source": [
						"obj-17",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-24",
						0
					],
					"source": [
						"obj-22",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-24",
						1
					],
					"source": [
						"obj-23",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-25",
						0
					],
					"source": [
						"obj-24",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-26",
						0
					],
					"source": [
						"obj-25",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-27",
						0
					],
					"source": [
						"obj-22",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-28",
						0
					],
					"source": [
						"obj-23",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-18",
						0
					],
					"source": [
						"obj-27",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-19",
						0
					],
					"source": [
						"obj-28",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-31",
						0
					],
					"source": [
						"obj-29",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-32",
						0
					],
					"source": [
						"obj-30",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-33",
						0
					],
					"source": [
						"obj-31",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-34",
						0
					],
					"source": [
						"obj-32",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-38",
						0
					],
					"source": [
						"obj-36",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-39",
						0
					],
					"source": [
						"obj-38",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-42",
						0
					],
					"source": [
						"obj-40",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-43",
						0
					],
					"source": [
						"obj-41",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-44",
						0
					],
					"source": [
						"obj-42",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-45",
						0
					],
					"source": [
						"obj-43",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-49",
						0
					],
					"source": [
						"obj-48",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-50",
						0
					],
					"source": [
						"obj-49",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-52",
						0
					],
					"source": [
						"obj-51",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-53",
						0
					],
					"source": [
						"obj-52",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-55",
						0
					],
					"source": [
						"obj-54",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-56",
						0
					],
					"source": [
						"obj-55",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-58",
						0
					],
					"source": [
						"obj-57",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-59",
						0
					],
					"source": [
						"obj-58",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-61",
						0
					],
					"source": [
						"obj-60",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-62",
						0
					],
					"source": [
						"obj-61",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-64",
						0
					],
					"source": [
						"obj-63",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-65",
						0
					],
					"source": [
						"obj-64",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-67",
						0
					],
					"source": [
						"obj-66",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-68",
						0
					],
					"source": [
						"obj-67",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-70",
						0
					],
					"source": [
						"obj-69",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-71",
						0
					],
					"source": [
						"obj-70",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-73",
						0
					],
					"source": [
						"obj-72",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-74",
						0
					],
					"source": [
						"obj-73",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-77",
						0
					],
					"source": [
						"obj-76",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-78",
						0
					],
					"source": [
						"obj-77",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-79",
						0
					],
					"source": [
						"obj-76",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-80",
						1
					],
					"source": [
						"obj-79",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-81",
						0
					],
					"source": [
						"obj-80",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-82",
						0
					],
					"source": [
						"obj-81",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-83",
						0
					],
					"source": [
						"obj-82",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-85",
						0
					],
					"source": [
						"obj-84",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-86",
						0
					],
					"source": [
						"obj-85",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-89",
						0
					],
					"source": [
						"obj-87",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-88",
						0
					],
					"source": [
						"obj-87",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-89",
						0
					],
					"source": [
						"obj-88",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-90",
						0
					],
					"source": [
						"obj-88",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-91",
						0
					],
					"source": [
						"obj-90",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-76",
						0
					],
					"source": [
						"obj-89",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-76",
						0
					],
					"source": [
						"obj-91",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-76",
						0
					],
					"source": [
						"obj-92",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-96",
						0
					],
					"source": [
						"obj-94",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-97",
						1
					],
					"source": [
						"obj-96",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-98",
						0
					],
					"source": [
						"obj-96",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-99",
						0
					],
					"source": [
						"obj-98",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-103",
						0
					],
					"source": [
						"obj-101",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-100",
						0
					],
					"source": [
						"obj-103",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-104",
						0
					],
					"source": [
						"obj-100",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-105",
						1
					],
					"source": [
						"obj-104",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-97",
						0
					],
					"source": [
						"obj-103",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-105",
						0
					],
					"source": [
						"obj-97",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-106",
						0
					],
					"source": [
						"obj-105",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-107",
						0
					],
					"source": [
						"obj-106",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-108",
						0
					],
					"source": [
						"obj-102",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-109",
						0
					],
					"source": [
						"obj-108",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-114",
						0
					],
					"source": [
						"obj-113",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-115",
						0
					],
					"source": [
						"obj-114",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-116",
						0
					],
					"source": [
						"obj-115",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-117",
						0
					],
					"source": [
						"obj-116",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-111",
						0
					],
					"source": [
						"obj-117",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-118",
						0
					],
					"source": [
						"obj-113",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-119",
						0
					],
					"source": [
						"obj-118",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-120",
						0
					],
					"source": [
						"obj-119",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-121",
						0
					],
					"source": [
						"obj-120",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-111",
						0
					],
					"source": [
						"obj-121",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-122",
						0
					],
					"source": [
						"obj-118",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-123",
						0
					],
					"source": [
						"obj-122",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-125",
						1
					],
					"source": [
						"obj-123",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-124",
						0
					],
					"source": [
						"obj-123",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-125",
						0
					],
					"source": [
						"obj-124",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-126",
						0
					],
					"source": [
						"obj-120",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-126",
						0
					],
					"source": [
						"obj-125",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-124",
						1
					],
					"source": [
						"obj-126",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-111",
						0
					],
					"source": [
						"obj-126",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-112",
						0
					],
					"source": [
						"obj-117",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-127",
						0
					],
					"source": [
						"obj-113",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-128",
						0
					],
					"source": [
						"obj-127",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-129",
						0
					],
					"source": [
						"obj-128",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-130",
						0
					],
					"source": [
						"obj-129",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-112",
						0
					],
					"source": [
						"obj-130",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-131",
						0
					],
					"source": [
						"obj-127",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-132",
						0
					],
					"source": [
						"obj-131",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-134",
						1
					],
					"source": [
						"obj-132",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-133",
						0
					],
					"source": [
						"obj-132",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-134",
						0
					],
					"source": [
						"obj-133",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-135",
						0
					],
					"source": [
						"obj-129",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-135",
						0
					],
					"source": [
						"obj-134",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-133",
						1
					],
					"source": [
						"obj-135",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-112",
						0
					],
					"source": [
						"obj-135",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-136",
						0
					],
					"source": [
						"obj-113",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-136",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-138",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-139",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-140",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-137",
						0
					],
					"source": [
						"obj-141",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-144",
						0
					],
					"source": [
						"obj-143",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-145",
						0
					],
					"source": [
						"obj-144",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-146",
						0
					],
					"source": [
						"obj-143",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-148",
						0
					],
					"source": [
						"obj-147",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-149",
						0
					],
					"source": [
						"obj-148",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-149",
						1
					],
					"source": [
						"obj-148",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-150",
						0
					],
					"source": [
						"obj-149",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-151",
						0
					],
					"source": [
						"obj-150",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-151",
						0
					],
					"source": [
						"obj-146",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-152",
						0
					],
					"source": [
						"obj-151",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-156",
						0
					],
					"source": [
						"obj-155",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-157",
						0
					],
					"source": [
						"obj-156",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-162",
						1
					],
					"source": [
						"obj-157",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-158",
						0
					],
					"source": [
						"obj-156",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-159",
						0
					],
					"source": [
						"obj-158",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-160",
						0
					],
					"source": [
						"obj-159",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-161",
						0
					],
					"source": [
						"obj-160",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-162",
						2
					],
					"source": [
						"obj-161",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-162",
						0
					],
					"source": [
						"obj-160",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-154",
						0
					],
					"source": [
						"obj-162",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-164",
						0
					],
					"source": [
						"obj-163",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-165",
						0
					],
					"source": [
						"obj-164",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-168",
						0
					],
					"source": [
						"obj-167",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-169",
						0
					],
					"source": [
						"obj-168",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-170",
						0
					],
					"source": [
						"obj-168",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-151",
						0
					],
					"source": [
						"obj-170",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-155",
						0
					],
					"source": [
						"obj-168",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-163",
						0
					],
					"source": [
						"obj-168",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-113",
						0
					],
					"source": [
						"obj-168",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-138",
						0
					],
					"source": [
						"obj-168",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-139",
						0
					],
					"source": [
						"obj-168",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-140",
						0
					],
					"source": [
						"obj-168",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-141",
						0
					],
					"source": [
						"obj-168",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-87",
						0
					],
					"source": [
						"obj-169",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-87",
						0
					],
					"source": [
						"obj-169",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-171",
						0
					],
					"source": [
						"obj-169",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-172",
						0
					],
					"source": [
						"obj-171",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-173",
						0
					],
					"source": [
						"obj-172",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-29",
						0
					],
					"source": [
						"obj-173",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-174",
						0
					],
					"source": [
						"obj-172",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-30",
						0
					],
					"source": [
						"obj-174",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-92",
						0
					],
					"source": [
						"obj-172",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-175",
						0
					],
					"source": [
						"obj-172",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-176",
						0
					],
					"source": [
						"obj-175",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-48",
						0
					],
					"source": [
						"obj-176",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-177",
						0
					],
					"source": [
						"obj-175",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-51",
						0
					],
					"source": [
						"obj-177",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-178",
						0
					],
					"source": [
						"obj-175",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-54",
						0
					],
					"source": [
						"obj-178",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-179",
						0
					],
					"source": [
						"obj-175",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-57",
						0
					],
					"source": [
						"obj-179",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-180",
						0
					],
					"source": [
						"obj-175",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-60",
						0
					],
					"source": [
						"obj-180",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-181",
						0
					],
					"source": [
						"obj-175",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-63",
						0
					],
					"source": [
						"obj-181",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-182",
						0
					],
					"source": [
						"obj-175",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-66",
						0
					],
					"source": [
						"obj-182",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-183",
						0
					],
					"source": [
						"obj-175",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-69",
						0
					],
					"source": [
						"obj-183",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-184",
						0
					],
					"source": [
						"obj-175",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-72",
						0
					],
					"source": [
						"obj-184",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-186",
						0
					],
					"source": [
						"obj-172",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-18",
						0
					],
					"source": [
						"obj-186",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-187",
						0
					],
					"source": [
						"obj-172",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-185",
						0
					],
					"source": [
						"obj-187",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-188",
						0
					],
					"source": [
						"obj-172",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-19",
						0
					],
					"source": [
						"obj-188",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-189",
						0
					],
					"source": [
						"obj-172",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-185",
						1
					],
					"source": [
						"obj-189",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-190",
						0
					],
					"source": [
						"obj-185",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-17",
						0
					],
					"source": [
						"obj-190",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-191",
						0
					],
					"source": [
						"obj-169",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-192",
						0
					],
					"source": [
						"obj-191",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-193",
						0
					],
					"source": [
						"obj-192",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-8",
						0
					],
					"source": [
						"obj-193",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-80",
						0
					],
					"source": [
						"obj-192",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-143",
						0
					],
					"source": [
						"obj-192",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-194",
						0
					],
					"source": [
						"obj-169",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-36",
						0
					],
					"source": [
						"obj-194",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-195",
						0
					],
					"source": [
						"obj-169",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-46",
						0
					],
					"source": [
						"obj-195",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-197",
						0
					],
					"source": [
						"obj-169",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-196",
						0
					],
					"source": [
						"obj-197",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-198",
						0
					],
					"source": [
						"obj-169",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-196",
						0
					],
					"source": [
						"obj-198",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-199",
						0
					],
					"source": [
						"obj-169",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-196",
						0
					],
					"source": [
						"obj-199",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-196",
						0
					],
					"source": [
						"obj-200",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-201",
						0
					],
					"source": [
						"obj-169",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-202",
						0
					],
					"source": [
						"obj-169",
						8
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-215",
						0
					],
					"source": [
						"obj-205",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-216",
						0
					],
					"source": [
						"obj-215",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-217",
						0
					],
					"source": [
						"obj-208",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-218",
						0
					],
					"source": [
						"obj-217",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-219",
						0
					],
					"source": [
						"obj-209",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-220",
						0
					],
					"source": [
						"obj-219",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-221",
						0
					],
					"source": [
						"obj-211",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-222",
						0
					],
					"source": [
						"obj-221",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-223",
						0
					],
					"source": [
						"obj-213",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-224",
						0
					],
					"source": [
						"obj-223",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-225",
						0
					],
					"source": [
						"obj-214",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-226",
						0
					],
					"source": [
						"obj-225",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-227",
						0
					],
					"source": [
						"obj-206",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-228",
						0
					],
					"source": [
						"obj-227",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-229",
						0
					],
					"source": [
						"obj-207",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-230",
						0
					],
					"source": [
						"obj-229",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-232",
						0
					],
					"source": [
						"obj-231",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-233",
						0
					],
					"source": [
						"obj-232",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-234",
						0
					],
					"source": [
						"obj-233",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-235",
						0
					],
					"source": [
						"obj-232",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-236",
						0
					],
					"source": [
						"obj-235",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-205",
						0
					],
					"source": [
						"obj-236",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-237",
						0
					],
					"source": [
						"obj-235",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-206",
						0
					],
					"source": [
						"obj-237",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-238",
						0
					],
					"source": [
						"obj-235",
						2
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-207",
						0
					],
					"source": [
						"obj-238",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-239",
						0
					],
					"source": [
						"obj-235",
						3
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-208",
						0
					],
					"source": [
						"obj-239",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-240",
						0
					],
					"source": [
						"obj-235",
						4
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-209",
						0
					],
					"source": [
						"obj-240",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-241",
						0
					],
					"source": [
						"obj-235",
						5
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-211",
						0
					],
					"source": [
						"obj-241",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-242",
						0
					],
					"source": [
						"obj-235",
						6
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-213",
						0
					],
					"source": [
						"obj-242",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-243",
						0
					],
					"source": [
						"obj-235",
						7
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-214",
						0
					],
					"source": [
						"obj-243",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-247",
						0
					],
					"source": [
						"obj-246",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-248",
						0
					],
					"source": [
						"obj-247",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-250",
						0
					],
					"source": [
						"obj-249",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-251",
						0
					],
					"source": [
						"obj-250",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-253",
						0
					],
					"source": [
						"obj-252",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-254",
						0
					],
					"source": [
						"obj-253",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-256",
						0
					],
					"source": [
						"obj-255",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-257",
						0
					],
					"source": [
						"obj-256",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-260",
						0
					],
					"source": [
						"obj-258",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-261",
						0
					],
					"source": [
						"obj-259",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-262",
						0
					],
					"source": [
						"obj-260",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-263",
						0
					],
					"source": [
						"obj-261",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-266",
						0
					],
					"source": [
						"obj-265",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-267",
						0
					],
					"source": [
						"obj-266",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-269",
						0
					],
					"source": [
						"obj-268",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-270",
						0
					],
					"source": [
						"obj-269",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-272",
						0
					],
					"source": [
						"obj-271",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-273",
						0
					],
					"source": [
						"obj-272",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-275",
						0
					],
					"source": [
						"obj-274",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-276",
						0
					],
					"source": [
						"obj-275",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-278",
						0
					],
					"source": [
						"obj-277",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-279",
						0
					],
					"source": [
						"obj-278",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-281",
						0
					],
					"source": [
						"obj-280",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-282",
						0
					],
					"source": [
						"obj-281",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-284",
						0
					],
					"source": [
						"obj-283",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-285",
						0
					],
					"source": [
						"obj-284",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-287",
						0
					],
					"source": [
						"obj-286",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-288",
						0
					],
					"source": [
						"obj-287",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-290",
						0
					],
					"source": [
						"obj-289",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-291",
						0
					],
					"source": [
						"obj-290",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-293",
						0
					],
					"source": [
						"obj-292",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-294",
						0
					],
					"source": [
						"obj-293",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-296",
						0
					],
					"source": [
						"obj-295",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-297",
						0
					],
					"source": [
						"obj-296",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-299",
						0
					],
					"source": [
						"obj-298",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-300",
						0
					],
					"source": [
						"obj-299",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-302",
						0
					],
					"source": [
						"obj-301",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-303",
						0
					],
					"source": [
						"obj-302",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-305",
						0
					],
					"source": [
						"obj-304",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-306",
						0
					],
					"source": [
						"obj-305",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-308",
						0
					],
					"source": [
						"obj-307",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-309",
						0
					],
					"source": [
						"obj-308",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-311",
						0
					],
					"source": [
						"obj-310",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-312",
						0
					],
					"source": [
						"obj-311",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-317",
						0
					],
					"source": [
						"obj-315",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-316",
						1
					],
					"source": [
						"obj-317",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-316",
						0
					],
					"source": [
						"obj-314",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-318",
						0
					],
					"source": [
						"obj-316",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-319",
						0
					],
					"source": [
						"obj-318",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-321",
						0
					],
					"source": [
						"obj-320",
						1
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-322",
						0
					],
					"source": [
						"obj-321",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-324",
						0
					],
					"source": [
						"obj-323",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-325",
						0
					],
					"source": [
						"obj-324",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-326",
						0
					],
					"source": [
						"obj-325",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-327",
						0
					],
					"source": [
						"obj-326",
						0
					]
				}
			},
			{
				"patchline": {
					"destination": [
						"obj-328",
						0
					],
					"source": [
						"obj-327",
						0
					]
				}
			}
		],
		"parameters": {
			"obj-18": [
				"X",
				"X",
				0
			],
			"obj-19": [
				"Y",
				"Y",
				0
			],
			"obj-29": [
				"Threshold",
				"Threshold",
				0
			],
			"obj-30": [
				"Noise",
				"Noise",
				0
			],
			"obj-40": [
				"Play",
				"play",
				0
			],
			"obj-41": [
				"Stop",
				"stop",
				0
			],
			"obj-48": [
				"Mute kick",
				"kick",
				0
			],
			"obj-51": [
				"Mute snare",
				"snare",
				0
			],
			"obj-54": [
				"Mute closed-hat",
				"closed-hat",
				0
			],
			"obj-57": [
				"Mute open-hat",
				"open-hat",
				0
			],
			"obj-60": [
				"Mute low-tom",
				"low-tom",
				0
			],
			"obj-63": [
				"Mute mid-tom",
				"mid-tom",
				0
			],
			"obj-66": [
				"Mute high-tom",
				"high-tom",
				0
			],
			"obj-69": [
				"Mute crash",
				"crash",
				0
			],
			"obj-72": [
				"Mute ride",
				"ride",
				0
			],
			"obj-79": [
				"Model",
				"Model",
				0
			],
			"obj-143": [
				"Play here",
				"play here",
				0
			],
			"obj-205": [
				"Melody on",
				"on",
				0
			],
			"obj-208": [
				"Scale lock",
				"scale",
				0
			],
			"obj-209": [
				"Octave",
				"Octave",
				0
			],
			"obj-211": [
				"Follows layer",
				"Follows layer",
				0
			],
			"obj-213": [
				"Density",
				"Density",
				0
			],
			"obj-214": [
				"Temperature",
				"Temperature",
				0
			],
			"obj-246": [
				"LFO X",
				"LFO X",
				0
			],
			"obj-249": [
				"LFO Y",
				"LFO Y",
				0
			],
			"obj-252": [
				"Swing",
				"Swing",
				0
			],
			"obj-255": [
				"Follow",
				"Follow",
				0
			],
			"obj-258": [
				"Record loop",
				"loop 2",
				0
			],
			"obj-259": [
				"Clear loop",
				"clear",
				0
			],
			"obj-265": [
				"S1",
				"1",
				0
			],
			"obj-268": [
				"S2",
				"2",
				0
			],
			"obj-271": [
				"S3",
				"3",
				0
			],
			"obj-274": [
				"S4",
				"4",
				0
			],
			"obj-277": [
				"S5",
				"5",
				0
			],
			"obj-280": [
				"S6",
				"6",
				0
			],
			"obj-283": [
				"S7",
				"7",
				0
			],
			"obj-286": [
				"S8",
				"8",
				0
			],
			"obj-289": [
				"P1",
				"1",
				0
			],
			"obj-292": [
				"P2",
				"2",
				0
			],
			"obj-295": [
				"P3",
				"3",
				0
			],
			"obj-298": [
				"P4",
				"4",
				0
			],
			"obj-301": [
				"P5",
				"5",
				0
			],
			"obj-304": [
				"P6",
				"6",
				0
			],
			"obj-307": [
				"P7",
				"7",
				0
			],
			"obj-310": [
				"P8",
				"8",
				0
			],
			"inherited_shortname": 1
		},
		"dependency_cache": [],
		"autosave": 0
	}
}
